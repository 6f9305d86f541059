import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { watchCheck } from "./commands/check.js";
import type { Io } from "./io.js";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-watch-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const team = (port: string) => `import { policy, services } from "meshc";
import type { Services } from "../mesh.js";

export const shop = services({
  web: { ports: { http: { port: 8080 } } },
  cart: { ports: { http: { port: 8080 } } },
});

export const shopPolicy = policy<Services>((s) => ({
  calls: [{ from: s.web, to: s.cart.ports.${port}, methods: ["GET"] }],
}));
`;

const mesh = `import { defineMesh } from "meshc";
import { shop, shopPolicy } from "./teams/shop.js";

const services = { ...shop };
export type Services = typeof services;

export default defineMesh(
  { name: "watched", namespace: "shop", services },
  (s) => ({ ingress: [{ name: "public", routes: [{ paths: ["/*"], to: s.web.ports.http }] }] }),
  shopPolicy,
);
`;

describe("meshc check --watch", () => {
  it("checks again when an imported file changes, until stopped", async () => {
    fs.mkdirSync(path.join(root, "teams"));
    fs.writeFileSync(path.join(root, "mesh.ts"), mesh);
    fs.writeFileSync(path.join(root, "teams", "shop.ts"), team("http"));
    let stdout = "";
    const statuses: string[] = [];
    let notify = () => {};
    const io: Io = {
      stdout: (t) => void (stdout += t),
      stderr: (t) => {
        statuses.push(t);
        notify();
      },
      cwd: root,
      env: {},
      isTty: false,
    };
    const nextCheck = (count: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no check #${count}; output so far:\n${stdout}`)), 60_000);
        notify = () => {
          if (statuses.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        };
        notify();
      });
    const controller = new AbortController();
    const done = watchCheck(path.join(root, "mesh.ts"), { format: "text", strict: false, color: false }, io, controller.signal, 20);

    await nextCheck(1);
    expect(stdout).toBe("mesh.ts: ok (2 services, 1 calls)\n");
    expect(statuses[0]).toMatch(/^\[watch\] checked mesh\.ts in \d+ ms; watching 2 files for changes/);

    stdout = "";
    fs.writeFileSync(path.join(root, "teams", "shop.ts"), team("htp"));
    await nextCheck(2);
    expect(stdout).toContain("teams/shop.ts:10:");
    expect(stdout).toContain("TS2551");
    expect(stdout).toContain("Property 'htp' does not exist");

    stdout = "";
    fs.writeFileSync(path.join(root, "teams", "shop.ts"), team("http"));
    await nextCheck(3);
    expect(stdout).toBe("mesh.ts: ok (2 services, 1 calls)\n");

    controller.abort();
    await expect(done).resolves.toBe(0);
  });
});
