import type { ExternalMap, PortHandle, ServicesMap } from "./policy.js";

/**
 * Builds the runtime handles a policy function receives. Handles are plain frozen data; the
 * compiler resolves them by name. Internal: users get handles, they never build them.
 */
export function createHandles(services: ServicesMap, external: ExternalMap): Record<string, unknown> {
  const handles: Record<string, unknown> = {};
  const portsOf = (name: string, ports: Record<string, unknown> | undefined, fallback: string[]) => {
    const out: Record<string, PortHandle> = {};
    for (const port of ports && typeof ports === "object" ? Object.keys(ports) : fallback) {
      out[port] = Object.freeze({ kind: "port", service: name, port });
    }
    return Object.freeze(out);
  };
  for (const [name, spec] of Object.entries(external ?? {})) {
    handles[name] = Object.freeze({ kind: "external", name, ports: portsOf(name, spec?.ports, ["https"]) });
  }
  // Services win a name clash at runtime; the duplicate-name check reports the clash.
  for (const [name, spec] of Object.entries(services ?? {})) {
    handles[name] = Object.freeze({ kind: "service", name, ports: portsOf(name, spec?.ports, []) });
  }
  return Object.freeze(handles);
}
