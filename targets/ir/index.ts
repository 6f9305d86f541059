import type { Target } from "../target.js";

/** The IR itself, as JSON: what every other target reads, for review and debugging. */
export const irTarget: Target = {
  name: "ir",
  description: "The resolved intermediate representation as out/ir/ir.json (for debugging; not in `all`)",
  inAll: false,
  run: (ir) => ({ artifacts: [{ path: "ir/ir.json", json: ir }], diagnostics: [] }),
};
