import type { ExternalMap, PortHandle, ServicesMap } from "./policy.js";

/**
 * Builds the runtime handles a policy function receives. Handles are plain frozen data; the
 * compiler resolves them by name. Internal: users get handles, they never build them.
 */
export function createHandles(services: ServicesMap, external: ExternalMap): Record<string, unknown> {
  // defineProperty, not assignment: a service named "__proto__" must be a handle, not a prototype.
  const handles: Record<string, unknown> = {};
  const put = (target: Record<string, unknown>, key: string, value: unknown) =>
    Object.defineProperty(target, key, { value, enumerable: true, writable: false, configurable: true });
  const portsOf = (name: string, ports: Record<string, unknown> | undefined, fallback: string[]) => {
    const out: Record<string, unknown> = {};
    for (const port of ports && typeof ports === "object" ? Object.keys(ports) : fallback) {
      put(out, port, Object.freeze({ kind: "port", service: name, port }));
    }
    return Object.freeze(out) as Record<string, PortHandle>;
  };
  for (const [name, spec] of Object.entries(external ?? {})) {
    put(handles, name, Object.freeze({ kind: "external", name, ports: portsOf(name, spec?.ports, ["https"]) }));
  }
  // Services win a name clash at runtime; the duplicate-name check reports the clash.
  for (const [name, spec] of Object.entries(services ?? {})) {
    if (Object.prototype.hasOwnProperty.call(handles, name)) delete handles[name];
    put(handles, name, Object.freeze({ kind: "service", name, ports: portsOf(name, spec?.ports, []) }));
  }
  return Object.freeze(handles);
}
