import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
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
    // An edit inside the team's policy: no other file can see it.
    expect(statuses[1]).toMatch(/^\[watch\] checked mesh\.ts in \d+ ms \(type-checked teams\/shop\.ts alone\); watching 2 files/);

    stdout = "";
    fs.writeFileSync(path.join(root, "teams", "shop.ts"), team("http"));
    await nextCheck(3);
    expect(stdout).toBe("mesh.ts: ok (2 services, 1 calls)\n");
    expect(statuses[2]).toMatch(/\(type-checked teams\/shop\.ts alone\)/);

    // A syntax error stops the check before the semantic pass; fixed back to the last text that
    // got there, nothing needs type-checking again.
    stdout = "";
    fs.writeFileSync(path.join(root, "teams", "shop.ts"), team("http").replace("calls: [", "calls: [[,"));
    await nextCheck(4);
    expect(stdout).toContain("error TS1137");
    stdout = "";
    fs.writeFileSync(path.join(root, "teams", "shop.ts"), team("http"));
    await nextCheck(5);
    expect(stdout).toBe("mesh.ts: ok (2 services, 1 calls)\n");
    expect(statuses[4]).toMatch(/\(nothing type-checked again: the files are as last checked\)/);

    controller.abort();
    await expect(done).resolves.toBe(0);
  });

  // As a terminal stops it: SIGINT to the whole foreground process group. The type-checker (a
  // process of its own) used to get it too and print "context canceled" over meshc's output; it
  // now runs in its own group, its stderr goes nowhere, and it exits when meshc does, as its pipes
  // close.
  it("stops on Ctrl-C without a word from the type-checker, and leaves it running nowhere", async () => {
    const dir = fs.mkdtempSync(path.join(root, "ctrl-c-"));
    fs.mkdirSync(path.join(dir, "teams"));
    fs.writeFileSync(path.join(dir, "mesh.ts"), mesh);
    fs.writeFileSync(path.join(dir, "teams", "shop.ts"), team("http"));
    const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/bundle/meshc.js");
    // A group of its own, as a shell gives a foreground job, so the whole group can be signalled.
    const child = spawn(process.execPath, [bin, "check", "--watch", "mesh.ts"], { cwd: dir, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => void (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no check; stderr so far:\n${stderr}`)), 60_000);
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes("[watch] checked")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const checkers = process.platform === "linux" ? fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number) : [];
    if (process.platform === "linux") {
      expect(checkers.length).toBe(1);
      // Field 5 of /proc/<pid>/stat (after the parenthesised name) is the process group.
      const group = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[2]);
      expect(group(checkers[0]!)).not.toBe(group(child.pid!));
      // Its stderr goes nowhere: it answered the client's SIGTERM with "context canceled" there,
      // about once in 80 checks, after meshc's own output.
      expect(fs.readlinkSync(`/proc/${checkers[0]}/fd/2`)).toBe("/dev/null");
      expect(fs.readlinkSync(`/proc/${child.pid}/fd/2`)).not.toBe("/dev/null");
    }
    process.kill(-child.pid!, "SIGINT");
    expect(await exited).toBe(0);
    expect(stdout).toBe("mesh.ts: ok (2 services, 1 calls)\n");
    expect(stderr).not.toContain("context canceled");
    expect(stderr.trim().split("\n")).toHaveLength(1);
    // Gone, or exited and waiting for init to reap it.
    const running = (pid: number) => {
      try {
        return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && checkers.some(running); i++) await new Promise((r) => setTimeout(r, 50));
    expect(checkers.filter(running)).toEqual([]);
  }, 90_000);
});
