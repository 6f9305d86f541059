/**
 * A fast-check generator of random valid meshes, rendered as mesh.ts source text so they go
 * through the real loader (evaluation, spans, zod, resolution, checks).
 *
 * The arbitraries draw loose raw choices (indices into the services drawn, subsets of pools);
 * `normalize` turns them into a valid mesh (ports unique, restrictions only where the protocol
 * carries them, rules with a match before the catch-all, splits summing to 100, …). `normalize`
 * is a pure function of the raw value, so fast-check's shrinking works through it: a failing mesh
 * shrinks to fewer services, calls, rules and smaller subsets.
 *
 * `renderMesh` prints a model as mesh.ts; with `order` it shuffles everything whose order carries
 * no meaning (services, ports, versions, external hosts, calls and the policy functions they are
 * spread over, route keys, ingress entry points, methods and paths), for the determinism suite.
 */
import fc from "fast-check";
import type { HttpMethod, MtlsMode, Protocol } from "../../compiler/ir.js";
import { mulberry32 } from "./probes.js";

// ── The model ────────────────────────────────────────────────────────────────────────────────

export interface GenRetries {
  readonly attempts: number;
  readonly perTryTimeout?: string;
}
export interface GenPort {
  readonly name: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly targetPort?: number;
  readonly mtls?: MtlsMode;
}
export interface GenService {
  readonly key: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly serviceAccount?: string;
  readonly ports: readonly GenPort[];
  readonly versions: readonly string[];
  readonly workload: boolean;
  readonly mtls?: MtlsMode;
  readonly timeout?: string;
  readonly retries?: GenRetries;
}
export interface PortRef {
  readonly service: string;
  readonly port: string;
}
export interface GenCall {
  readonly from: readonly string[] | "any";
  readonly to: PortRef;
  readonly methods?: readonly HttpMethod[];
  readonly paths?: readonly string[];
  readonly grpcMethods?: readonly string[];
  readonly timeout?: string;
  readonly retries?: GenRetries;
  /** Which policy function declares it. */
  readonly policy: number;
}
export type GenStringMatch = { readonly exact: string } | { readonly prefix: string } | { readonly regex: string };
export interface GenRule {
  readonly match?: {
    readonly headers?: Readonly<Record<string, GenStringMatch>>;
    readonly paths?: readonly string[];
    readonly methods?: readonly HttpMethod[];
  };
  readonly to?: string | readonly { readonly version: string; readonly weight: number }[];
  readonly timeout?: string;
  readonly retries?: GenRetries;
  readonly fault?: { readonly delay?: { readonly fixed: string; readonly percent: number }; readonly abort?: { readonly httpStatus: number; readonly percent: number } | { readonly grpcStatus: string; readonly percent: number } };
  readonly mirror?: { readonly version: string; readonly percent: number } | { readonly to: PortRef; readonly percent: number };
}
export interface GenRoute {
  readonly service: string;
  readonly port: string;
  readonly rules: readonly GenRule[];
  readonly policy: number;
}
export interface GenIngressRoute {
  readonly paths?: readonly string[];
  readonly methods?: readonly HttpMethod[];
  readonly to: PortRef;
  readonly timeout?: string;
}
export interface GenIngress {
  readonly name: string;
  readonly port?: number;
  readonly hosts?: readonly string[];
  readonly tls?: { readonly secretName: string };
  readonly gateway?: { readonly namespace?: string; readonly serviceAccount?: string };
  readonly routes: readonly GenIngressRoute[];
  readonly policy: number;
}
export interface GenExternal {
  readonly key: string;
  readonly host: string;
}
export interface GenMesh {
  readonly name: string;
  readonly namespace: string;
  readonly mtls?: MtlsMode;
  readonly egress?: "registry-only" | "allow-any";
  readonly timeout?: string;
  readonly services: readonly GenService[];
  readonly external: readonly GenExternal[];
  readonly calls: readonly GenCall[];
  readonly routes: readonly GenRoute[];
  readonly ingress: readonly GenIngress[];
  /** Number of policy functions (at least 1). */
  readonly policies: number;
}

// ── Pools ────────────────────────────────────────────────────────────────────────────────────

export const METHODS: readonly HttpMethod[] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"];
export const PATHS = ["/", "/api/*", "/api/v1/*", "/api*", "/login", "/static/*", "/health", "/api/v1/items", "/reviews/*", "/v2"] as const;
export const GRPC_METHODS = ["shop.Cart/Get", "shop.Cart/Add", "shop.Cart/*", "shop.v1.Orders/List", "shop.v1.Orders/*", "grpc.health.v1.Health/Check"] as const;
const TIMEOUTS = ["100ms", "250ms", "1s", "2s", "5s", "15s"] as const;
const HEADER_NAMES = ["end-user", "x-canary", "x-version"] as const;
const HEADER_VALUES = ["jason", "beta", "1", "a-b"] as const;
const PORT_NAMES = ["http", "grpc", "web", "api", "admin", "metrics", "data", "h2c"] as const;
const VERSION_NAMES = ["v1", "v2", "v3", "canary"] as const;
const INGRESS_NAMES = ["public", "internal", "edge", "partner-api"] as const;

/** A DNS-1123 label, short enough to combine into generated names. */
export const dnsLabel = (maxRest = 8) => fc.stringMatching(new RegExp(`^[a-z]([a-z0-9-]{0,${maxRest}}[a-z0-9])?$`));

// ── Raw choices ──────────────────────────────────────────────────────────────────────────────

const opt = <T>(arb: fc.Arbitrary<T>, freq = 3) => fc.option(arb, { nil: undefined, freq });
const retriesArb = fc.record({ attempts: fc.integer({ min: 0, max: 3 }), perTryTimeout: opt(fc.constantFrom(...TIMEOUTS), 1) });
const mtlsArb = fc.constantFrom<MtlsMode>("permissive", "disabled");

const rawPort = fc.record({
  name: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...PORT_NAMES) }, { weight: 1, arbitrary: fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/) }),
  port: fc.oneof(fc.constantFrom(80, 8080, 9080, 7070, 5000), fc.integer({ min: 1, max: 65535 })),
  protocol: fc.oneof({ weight: 5, arbitrary: fc.constant<Protocol>("http") }, { weight: 2, arbitrary: fc.constant<Protocol>("grpc") }, { weight: 1, arbitrary: fc.constant<Protocol>("http2") }, { weight: 2, arbitrary: fc.constant<Protocol>("tcp") }),
  targetPortOffset: opt(fc.integer({ min: 1, max: 1000 }), 4),
  mtls: opt(mtlsArb, 8),
});

const rawService = fc.record({
  key: dnsLabel(),
  nsIndex: fc.nat({ max: 2 }),
  serviceAccount: fc.oneof(
    { weight: 6, arbitrary: fc.constant<{ kind: "default" } | { kind: "custom" } | { kind: "shared"; index: number }>({ kind: "default" }) },
    { weight: 2, arbitrary: fc.constant({ kind: "custom" as const }) },
    { weight: 1, arbitrary: fc.nat().map((index) => ({ kind: "shared" as const, index })) },
  ),
  /** Rarely, take the name of the previous service (in another namespace): same name, two namespaces. */
  sameNameAsPrevious: fc.boolean().chain((b) => (b ? fc.boolean() : fc.constant(false))).chain((b) => (b ? fc.boolean() : fc.constant(false))),
  ports: fc.uniqueArray(rawPort, { selector: (p) => p.name, minLength: 1, maxLength: 3 }),
  versions: fc.subarray([...VERSION_NAMES], { minLength: 0, maxLength: 3 }),
  workload: fc.boolean(),
  mtls: opt(mtlsArb, 10),
  timeout: opt(fc.constantFrom(...TIMEOUTS), 4),
  retries: opt(retriesArb, 5),
});

const rawCall = fc.record({
  from: fc.oneof({ weight: 1, arbitrary: fc.constant<"any">("any") }, { weight: 8, arbitrary: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }) }),
  toService: fc.nat(),
  toPort: fc.nat(),
  toExternal: fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  methods: opt(fc.subarray([...METHODS], { minLength: 1, maxLength: 3 }), 2),
  paths: opt(fc.subarray([...PATHS], { minLength: 1, maxLength: 3 }), 2),
  grpcMethods: opt(fc.subarray([...GRPC_METHODS], { minLength: 1, maxLength: 3 }), 2),
  timeout: opt(fc.constantFrom(...TIMEOUTS), 3),
  retries: opt(retriesArb, 4),
  policy: fc.nat(),
});

const stringMatchArb: fc.Arbitrary<GenStringMatch> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HEADER_VALUES).map((exact) => ({ exact })) },
  { weight: 1, arbitrary: fc.constantFrom(...HEADER_VALUES).map((prefix) => ({ prefix })) },
  { weight: 1, arbitrary: fc.subarray([...HEADER_VALUES], { minLength: 1, maxLength: 2 }).map((vs) => ({ regex: vs.join("|") })) },
);

const rawRule = fc.record({
  headers: opt(fc.dictionary(fc.constantFrom(...HEADER_NAMES), stringMatchArb, { minKeys: 1, maxKeys: 2 }), 1),
  paths: opt(fc.subarray([...PATHS], { minLength: 1, maxLength: 2 }), 2),
  methods: opt(fc.subarray([...METHODS], { minLength: 1, maxLength: 2 }), 3),
  to: fc.oneof(
    fc.constant<{ kind: "none" }>({ kind: "none" }),
    fc.nat().map((i) => ({ kind: "one" as const, i })),
    fc.record({ kind: fc.constant("split" as const), start: fc.nat(), weights: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 2, maxLength: 3 }) }),
  ),
  timeout: opt(fc.constantFrom(...TIMEOUTS), 4),
  retries: opt(retriesArb, 5),
  fault: opt(fc.record({ delay: fc.boolean(), percent: fc.integer({ min: 0, max: 100 }) }), 6),
  mirror: opt(fc.record({ kind: fc.constantFrom("version", "service"), i: fc.nat(), port: fc.nat(), percent: fc.integer({ min: 1, max: 100 }) }), 5),
});

const rawRoute = fc.record({
  service: fc.nat(),
  port: fc.nat(),
  rules: fc.array(rawRule, { minLength: 1, maxLength: 4 }),
  catchAll: fc.boolean(),
  policy: fc.nat(),
});

const rawIngress = fc.record({
  name: fc.constantFrom(...INGRESS_NAMES),
  port: opt(fc.constantFrom(8080, 8443), 4),
  hosts: opt(fc.constant(["shop.example.com"]), 4),
  tls: opt(fc.constant({ secretName: "shop-example-com-tls" }), 6),
  gateway: opt(fc.record({ nsIndex: fc.nat({ max: 2 }), custom: fc.boolean() }), 3),
  routes: fc.array(
    fc.record({
      paths: opt(fc.subarray([...PATHS], { minLength: 1, maxLength: 3 }), 1),
      methods: opt(fc.subarray([...METHODS], { minLength: 1, maxLength: 2 }), 2),
      service: fc.nat(),
      port: fc.nat(),
      timeout: opt(fc.constantFrom(...TIMEOUTS), 3),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  policy: fc.nat(),
});

export interface MeshArbitraryOptions {
  /** Most services in one mesh (default 6). */
  readonly maxServices?: number;
  /** Most calls in one mesh (default 10). */
  readonly maxCalls?: number;
}

function rawMeshArbitrary(options: MeshArbitraryOptions) {
  return fc.record({
    name: dnsLabel(),
    namespaces: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/), { minLength: 1, maxLength: 3 }),
    mtls: fc.oneof({ weight: 6, arbitrary: fc.constant<MtlsMode | undefined>(undefined) }, { weight: 1, arbitrary: fc.constantFrom<MtlsMode | undefined>("strict", "permissive", "disabled") }),
    egress: opt(fc.constantFrom("registry-only" as const, "allow-any" as const), 2),
    timeout: opt(fc.constantFrom(...TIMEOUTS), 2),
    services: fc.uniqueArray(rawService, { selector: (s) => s.key, minLength: 1, maxLength: options.maxServices ?? 6 }),
    external: fc.uniqueArray(fc.record({ key: dnsLabel(4).map((k) => `ext-${k}`), host: dnsLabel(6).map((h) => `api.${h}.example.com`) }), { selector: (x) => x.key, maxLength: 2 }),
    calls: fc.array(rawCall, { maxLength: options.maxCalls ?? 10 }),
    routes: fc.array(rawRoute, { maxLength: 3 }),
    ingress: fc.uniqueArray(rawIngress, { selector: (i) => i.name, maxLength: 2 }),
    policies: fc.integer({ min: 1, max: 3 }),
  });
}

type Infer<A> = A extends fc.Arbitrary<infer T> ? T : never;
/** The raw choices a mesh is normalized from. */
export type RawMesh = Infer<ReturnType<typeof rawMeshArbitrary>>;

/** Random valid meshes (as models; render them with `renderMesh`). */
export function meshArbitrary(options: MeshArbitraryOptions = {}): fc.Arbitrary<GenMesh> {
  return rawMeshArbitrary(options).map(normalize);
}

const at = <T>(list: readonly T[], i: number): T => list[i % list.length]!;
const clean = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
const carriesHttp = (p: Protocol) => p === "http" || p === "http2";
const carriesGrpc = (p: Protocol) => p === "grpc" || p === "http2";

/** Raw choices → a valid mesh. Pure, so shrinking the raw value shrinks the mesh. */
export function normalize(raw: RawMesh): GenMesh {
  const namespace = raw.namespaces[0]!;
  const services: GenService[] = [];
  const ids = new Set(raw.services.map((rs) => `${at(raw.namespaces, rs.nsIndex)}/${rs.key}`));
  raw.services.forEach((rs, i) => {
    const ns = at(raw.namespaces, rs.nsIndex);
    // Rarely, the name of the previous service in another namespace: one name, two namespaces.
    const prev = services[i - 1];
    const prevName = prev?.name ?? prev?.key;
    let name: string | undefined;
    if (rs.sameNameAsPrevious && prevName !== undefined && !ids.has(`${ns}/${prevName}`)) {
      ids.delete(`${ns}/${rs.key}`);
      ids.add(`${ns}/${prevName}`);
      name = prevName;
    }
    const used = new Set<number>();
    const ports: GenPort[] = rs.ports.map((p) => {
      let port = p.port;
      while (used.has(port)) port = (port % 65535) + 1;
      used.add(port);
      const targetPort = p.targetPortOffset !== undefined ? ((port + p.targetPortOffset - 1) % 65535) + 1 : undefined;
      return clean({ name: p.name, port, protocol: p.protocol, targetPort, mtls: p.mtls });
    });
    services.push(
      clean({
        key: rs.key,
        name,
        namespace: ns === namespace ? undefined : ns,
        serviceAccount: rs.serviceAccount.kind === "custom" ? `sa-${rs.key}` : undefined,
        ports,
        versions: rs.versions,
        workload: rs.workload,
        mtls: rs.mtls,
        timeout: rs.timeout,
        retries: rs.retries ? clean(rs.retries) : undefined,
      }),
    );
  });
  // Shared identities: a service takes the (effective) service account of an earlier one in its namespace.
  raw.services.forEach((rs, i) => {
    if (rs.serviceAccount.kind !== "shared" || i === 0) return;
    const other = services[rs.serviceAccount.index % i]!;
    const s = services[i]!;
    if ((other.namespace ?? namespace) !== (s.namespace ?? namespace)) return;
    services[i] = { ...s, serviceAccount: other.serviceAccount ?? other.name ?? other.key };
  });

  const policies = raw.policies;
  const svc = (i: number) => at(services, i);
  const calls: GenCall[] = [];
  for (const rc of raw.calls) {
    const from = rc.from === "any" ? ("any" as const) : [...new Set(rc.from.map((i) => svc(i).key))];
    const common = { from, ...(rc.timeout ? { timeout: rc.timeout } : {}), ...(rc.retries ? { retries: clean(rc.retries) } : {}), policy: rc.policy % policies };
    if (rc.toExternal && raw.external.length > 0) {
      calls.push({ ...common, to: { service: at(raw.external, rc.toService).key, port: "https" } });
      continue;
    }
    const target = svc(rc.toService);
    const port = at(target.ports, rc.toPort);
    calls.push(
      clean({
        ...common,
        to: { service: target.key, port: port.name },
        methods: carriesHttp(port.protocol) ? rc.methods : undefined,
        paths: carriesHttp(port.protocol) ? rc.paths : undefined,
        grpcMethods: carriesGrpc(port.protocol) ? rc.grpcMethods : undefined,
      }),
    );
  }

  const routes: GenRoute[] = [];
  const routed = new Set<string>();
  for (const rr of raw.routes) {
    const target = svc(rr.service);
    const ports = target.ports.filter((p) => p.protocol !== "tcp");
    if (ports.length === 0) continue;
    const port = at(ports, rr.port);
    const key = `${target.key}:${port.name}`;
    if (routed.has(key)) continue;
    routed.add(key);
    const rules = rr.rules.map((r, i): GenRule => {
      const last = i === rr.rules.length - 1;
      const grpc = port.protocol === "grpc";
      let match: GenRule["match"] = clean({ headers: r.headers, paths: grpc ? undefined : r.paths, methods: grpc ? undefined : r.methods });
      if (last && rr.catchAll) match = undefined;
      // Only the last rule may be the catch-all: give an empty match a header to tell rules apart.
      else if (Object.keys(match).length === 0) match = { headers: { "x-meshc-rule": { exact: `r${i + 1}` } } };
      const versions = target.versions;
      let to: GenRule["to"];
      if (versions.length > 0 && r.to.kind === "one") to = at(versions, r.to.i);
      if (versions.length > 0 && r.to.kind === "split") {
        const split = r.to;
        const k = Math.min(split.weights.length, versions.length);
        const chosen = Array.from({ length: k }, (_, j) => at(versions, split.start + j));
        const raws = split.weights.slice(0, k);
        const total = raws.reduce((a, b) => a + b, 0);
        const weights = total === 0 ? raws.map(() => Math.floor(100 / k)) : raws.map((w) => Math.floor((w * 100) / total));
        weights[k - 1] = 100 - weights.slice(0, k - 1).reduce((a, b) => a + b, 0);
        to = chosen.map((version, j) => ({ version, weight: weights[j]! }));
      }
      const live = to === undefined ? versions : typeof to === "string" ? [to] : to.filter((d) => d.weight > 0).map((d) => d.version);
      let mirror: GenRule["mirror"];
      if (r.mirror?.kind === "version") {
        // Never a version that takes all of the rule's traffic (MESH121); one that takes a share is a warning.
        const candidates = versions.filter((v) => !(live.length === 1 && live[0] === v) && !(to === undefined && versions.length === 1));
        if (candidates.length > 0) mirror = { version: at(candidates, r.mirror.i), percent: r.mirror.percent };
      } else if (r.mirror?.kind === "service") {
        const others = services.flatMap((s) => s.ports.filter((p) => carriesHttp(p.protocol) && !(s.key === target.key && p.name === port.name)).map((p) => ({ service: s.key, port: p.name })));
        if (others.length > 0) mirror = { to: at(others, r.mirror.port + r.mirror.i), percent: r.mirror.percent };
      }
      const fault = r.fault
        ? r.fault.delay
          ? { delay: { fixed: "2s", percent: r.fault.percent } }
          : { abort: grpc ? { grpcStatus: "UNAVAILABLE", percent: r.fault.percent } : { httpStatus: 503, percent: r.fault.percent } }
        : undefined;
      return clean({ match, to, timeout: r.timeout, retries: r.retries ? clean(r.retries) : undefined, fault, mirror });
    });
    routes.push({ service: target.key, port: port.name, rules, policy: rr.policy % policies });
  }

  const ingress: GenIngress[] = [];
  for (const ri of raw.ingress) {
    const routesOut: GenIngressRoute[] = [];
    for (const r of ri.routes) {
      const target = svc(r.service);
      const ports = target.ports.filter((p) => carriesHttp(p.protocol));
      if (ports.length === 0) continue;
      routesOut.push(clean({ paths: r.paths, methods: r.methods, to: { service: target.key, port: at(ports, r.port).name }, timeout: r.timeout }));
    }
    if (routesOut.length === 0) continue;
    const gateway = ri.gateway ? clean({ namespace: at(raw.namespaces, ri.gateway.nsIndex), serviceAccount: ri.gateway.custom ? `${ri.name}-gw` : undefined }) : undefined;
    ingress.push(clean({ name: ri.name, port: ri.port, hosts: ri.hosts, tls: ri.tls, gateway, routes: routesOut, policy: ri.policy % policies }));
  }

  // External keys must not collide with service keys (one handle namespace).
  const external = raw.external.filter((x) => !services.some((s) => s.key === x.key));
  const externalKeys = new Set(external.map((x) => x.key));
  return clean({
    name: raw.name,
    namespace,
    mtls: raw.mtls,
    egress: raw.egress,
    timeout: raw.timeout,
    services,
    external,
    calls: calls.filter((c) => services.some((s) => s.key === c.to.service) || externalKeys.has(c.to.service)),
    routes,
    ingress,
    policies,
  });
}

// ── Rendering ────────────────────────────────────────────────────────────────────────────────

/** Source text inserted as is (handles, special numbers, deliberately odd values). */
export class Code {
  constructor(readonly text: string) {}
}
/** An object property written as a getter returning (or throwing) `body`. */
export class Getter {
  constructor(readonly body: string) {}
}
export type Tree = string | number | boolean | null | undefined | Code | Getter | readonly Tree[] | { readonly [key: string]: Tree };

/** The mesh as trees: the `defineMesh` spec and one tree per policy function. */
export interface MeshTrees {
  readonly spec: Tree;
  readonly policies: readonly Tree[];
}

export interface RenderOrder {
  /** Shuffles everything whose order carries no meaning. */
  readonly seed: number;
}

const handle = (key: string) => new Code(`s[${JSON.stringify(key)}]`);
const portHandle = (ref: PortRef) => new Code(`s[${JSON.stringify(ref.service)}].ports[${JSON.stringify(ref.port)}]`);

/** A model as trees, optionally shuffled where order has no meaning. */
export function meshTrees(mesh: GenMesh, order?: RenderOrder): MeshTrees {
  const rand = order ? mulberry32(order.seed) : undefined;
  const shuffle = <T>(list: readonly T[]): T[] => {
    const out = [...list];
    if (!rand) return out;
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  const retries = (r: GenRetries | undefined) => (r ? clean({ attempts: r.attempts, perTryTimeout: r.perTryTimeout }) : undefined);
  const services = Object.fromEntries(
    shuffle(mesh.services).map((s) => [
      s.key,
      clean({
        name: s.name,
        namespace: s.namespace,
        serviceAccount: s.serviceAccount,
        ports: Object.fromEntries(shuffle(s.ports).map((p) => [p.name, clean({ port: p.port, protocol: p.protocol, targetPort: p.targetPort, mtls: p.mtls })])),
        versions: s.versions.length > 0 ? Object.fromEntries(shuffle(s.versions).map((v) => [v, {}])) : undefined,
        workload: s.workload ? { image: `registry.example.com/${s.key}:1.0.0` } : undefined,
        mtls: s.mtls,
        traffic: s.timeout || s.retries ? clean({ timeout: s.timeout, retries: retries(s.retries) }) : undefined,
      }),
    ]),
  );
  const spec = clean({
    name: mesh.name,
    namespace: mesh.namespace,
    defaults: mesh.mtls || mesh.egress || mesh.timeout ? clean({ mtls: mesh.mtls, egress: mesh.egress, traffic: mesh.timeout ? { timeout: mesh.timeout } : undefined }) : undefined,
    services,
    external: mesh.external.length > 0 ? Object.fromEntries(shuffle(mesh.external).map((x) => [x.key, { host: x.host }])) : undefined,
  });
  // With an order, calls move between policy functions and the functions themselves are shuffled.
  const n = mesh.policies;
  const slot = (p: number) => (rand ? Math.floor(rand() * n) : p);
  const buckets = Array.from({ length: n }, () => ({ calls: [] as Tree[], routes: {} as Record<string, Record<string, Tree>>, ingress: [] as Tree[] }));
  for (const c of shuffle(mesh.calls)) {
    buckets[slot(c.policy)]!.calls.push(
      clean({
        from: c.from === "any" ? new Code("anyService") : c.from.length === 1 ? handle(c.from[0]!) : shuffle(c.from).map(handle),
        to: portHandle(c.to),
        methods: c.methods ? shuffle(c.methods) : undefined,
        paths: c.paths ? shuffle(c.paths) : undefined,
        grpcMethods: c.grpcMethods ? shuffle(c.grpcMethods) : undefined,
        timeout: c.timeout,
        retries: retries(c.retries),
      }),
    );
  }
  for (const r of shuffle(mesh.routes)) {
    const b = buckets[slot(r.policy)]!;
    const rules = r.rules.map((rule) =>
      clean({
        match: rule.match ? clean({ headers: rule.match.headers, paths: rule.match.paths ? shuffle(rule.match.paths) : undefined, methods: rule.match.methods ? shuffle(rule.match.methods) : undefined }) : undefined,
        to: rule.to,
        timeout: rule.timeout,
        retries: retries(rule.retries),
        fault: rule.fault,
        mirror: rule.mirror ? ("to" in rule.mirror ? { to: portHandle(rule.mirror.to), percent: rule.mirror.percent } : rule.mirror) : undefined,
      }),
    );
    (b.routes[r.service] ??= {})[r.port] = rules;
  }
  for (const i of shuffle(mesh.ingress)) {
    buckets[slot(i.policy)]!.ingress.push(
      clean({
        name: i.name,
        port: i.port,
        hosts: i.hosts,
        tls: i.tls,
        gateway: i.gateway,
        routes: i.routes.map((r) => clean({ paths: r.paths ? shuffle(r.paths) : undefined, methods: r.methods ? shuffle(r.methods) : undefined, to: portHandle(r.to), timeout: r.timeout })),
      }),
    );
  }
  const policies = shuffle(
    buckets.map((b) =>
      clean({
        calls: b.calls.length > 0 ? b.calls : undefined,
        routes: Object.keys(b.routes).length > 0 ? Object.fromEntries(shuffle(Object.entries(b.routes)).map(([k, v]) => [k, Object.fromEntries(shuffle(Object.entries(v)))])) : undefined,
        ingress: b.ingress.length > 0 ? b.ingress : undefined,
      }),
    ),
  );
  return { spec, policies };
}

/** Prints trees as a mesh.ts. */
export function renderTrees(trees: MeshTrees, options: { typed?: boolean } = {}): string {
  const param = options.typed === false ? "(s: any)" : "(s)";
  const policies = trees.policies.map((p) => `  ${param} => (${print(p, 2)}),\n`).join("");
  return `import { anyService, defineMesh } from "meshc";\n\nexport default defineMesh(\n  ${print(trees.spec, 2)},\n${policies});\n`;
}

/** A model as mesh.ts source. */
export function renderMesh(mesh: GenMesh, order?: RenderOrder): string {
  return renderTrees(meshTrees(mesh, order));
}

function print(t: Tree, indent: number): string {
  const pad = " ".repeat(indent + 2);
  const end = " ".repeat(indent);
  if (t instanceof Code) return t.text;
  if (t instanceof Getter) return `(() => { ${t.body} })()`;
  if (t === undefined) return "undefined";
  if (t === null) return "null";
  if (typeof t === "string") return JSON.stringify(t);
  if (typeof t === "number") return Object.is(t, -0) ? "-0" : Number.isFinite(t) ? String(t) : Number.isNaN(t) ? "NaN" : t > 0 ? "Infinity" : "-Infinity";
  if (typeof t === "boolean") return String(t);
  if (Array.isArray(t)) {
    if (t.length === 0) return "[]";
    const items = (t as readonly Tree[]).map((x) => print(x, indent + 2));
    const flat = `[${items.join(", ")}]`;
    return flat.length <= 100 && !flat.includes("\n") ? flat : `[\n${items.map((x) => pad + x).join(",\n")},\n${end}]`;
  }
  const entries = Object.entries(t as { readonly [key: string]: Tree });
  if (entries.length === 0) return "{}";
  const props = entries.map(([k, v]) => {
    const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k);
    return v instanceof Getter ? `get ${key}(): any { ${v.body} }` : `${key}: ${print(v, indent + 2)}`;
  });
  const flat = `{ ${props.join(", ")} }`;
  return flat.length <= 100 && !flat.includes("\n") ? flat : `{\n${props.map((x) => pad + x).join(",\n")},\n${end}}`;
}
