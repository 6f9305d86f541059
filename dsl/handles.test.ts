import { describe, expect, it } from "vitest";
import { createHandles } from "./handles.js";

describe("handles", () => {
  it("are plain frozen data, named after their declarations", () => {
    const h = createHandles({ web: { ports: { http: { port: 80 } } } }, { stripe: { host: "api.stripe.com" } }) as Record<string, any>;
    expect(h.web).toEqual({ kind: "service", name: "web", ports: { http: { kind: "port", service: "web", port: "http" } } });
    expect(h.stripe.ports.https).toEqual({ kind: "port", service: "stripe", port: "https" });
    expect(Object.isFrozen(h) && Object.isFrozen(h.web) && Object.isFrozen(h.web.ports)).toBe(true);
  });

  it("treat a name like __proto__ as a name, not as the object's prototype", () => {
    const services = Object.defineProperty({}, "__proto__", { value: { ports: { constructor: { port: 80 } } }, enumerable: true });
    const h = createHandles(services as never, {}) as Record<string, any>;
    expect(Object.getPrototypeOf(h)).toBe(Object.prototype);
    expect(Object.keys(h)).toEqual(["__proto__"]);
    expect(h["__proto__"].ports.constructor).toEqual({ kind: "port", service: "__proto__", port: "constructor" });
  });

  it("let a service win a name clash with an external host (the duplicate-name check reports it)", () => {
    const h = createHandles({ api: { ports: { http: { port: 80 } } } }, { api: { host: "api.example.com" } }) as Record<string, any>;
    expect(h.api.kind).toBe("service");
  });
});
