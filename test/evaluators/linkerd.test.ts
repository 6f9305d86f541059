import { describe, expect, it } from "vitest";
import { authorize, identityMatches, inCidr, type Cluster, type LinkerdObject } from "./linkerd.js";

// Hand-written objects in the shape of the examples on
// https://linkerd.io/2-edge/reference/authorization-policy/ (the booksapp namespace).

const ns = "booksapp";
const id = (sa: string) => `${sa}.${ns}.serviceaccount.identity.linkerd.cluster.local`;
const webapp = { identity: id("webapp"), ip: "10.0.0.5" };
const books = { identity: id("books"), ip: "10.0.0.6" };
const plaintext = { ip: "10.0.0.7" };
const outside = { ip: "203.0.113.9" };
const authors = { namespace: ns, labels: { app: "authors", project: "booksapp" } };
const GET = (path: string) => ({ kind: "http" as const, method: "GET", path });
const POST = (path: string) => ({ kind: "http" as const, method: "POST", path });

const o = (apiVersion: string, kind: string, name: string, spec: unknown, namespace = ns): LinkerdObject => ({ apiVersion, kind, metadata: { name, namespace }, spec });
const namespace = (policy?: string): LinkerdObject => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name: ns, ...(policy ? { annotations: { "config.linkerd.io/default-inbound-policy": policy } } : {}) },
});
const server = (spec: Record<string, unknown> = {}) =>
  o("policy.linkerd.io/v1beta3", "Server", "authors-server", { podSelector: { matchLabels: { app: "authors" } }, port: 7001, proxyProtocol: "HTTP/1", ...spec });
const meshTLS = (name: string, identities: string[]) => o("policy.linkerd.io/v1alpha1", "MeshTLSAuthentication", name, { identities });
const network = (name: string, networks: unknown[]) => o("policy.linkerd.io/v1alpha1", "NetworkAuthentication", name, { networks });
const policy = (name: string, target: { group?: string; kind: string; name: string }, authn: { kind: string; name: string; group?: string }[]) =>
  o("policy.linkerd.io/v1alpha1", "AuthorizationPolicy", name, {
    targetRef: target,
    requiredAuthenticationRefs: authn.map((a) => ({ group: "policy.linkerd.io", ...a })),
  });
const route = (name: string, matches: unknown[], kind = "HTTPRoute", apiVersion = "gateway.networking.k8s.io/v1") =>
  o(apiVersion, kind, name, { parentRefs: [{ group: "policy.linkerd.io", kind: "Server", name: "authors-server" }], rules: [{ matches }] });
const onServer = { group: "policy.linkerd.io", kind: "Server", name: "authors-server" };
const onRoute = (name: string) => ({ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name });
const cluster = (...objects: LinkerdObject[]): Cluster => ({ objects });

describe("Linkerd authorization evaluator", () => {
  describe("default policies", () => {
    it("uses the cluster default (all-unauthenticated) without annotations or Servers", () => {
      expect(authorize(cluster(), authors, 7001, plaintext, GET("/")).allowed).toBe(true);
    });
    it("takes the namespace annotation over the cluster default, and the pod's over the namespace's", () => {
      expect(authorize(cluster(namespace("deny")), authors, 7001, webapp, GET("/")).allowed).toBe(false);
      expect(authorize(cluster(namespace("all-authenticated")), authors, 7001, webapp, GET("/")).allowed).toBe(true);
      expect(authorize(cluster(namespace("all-authenticated")), authors, 7001, plaintext, GET("/")).allowed).toBe(false);
      expect(authorize(cluster(namespace("cluster-unauthenticated")), authors, 7001, outside, GET("/")).allowed).toBe(false);
      const pod = { ...authors, annotations: { "config.linkerd.io/default-inbound-policy": "all-unauthenticated" } };
      expect(authorize(cluster(namespace("deny")), pod, 7001, plaintext, GET("/")).allowed).toBe(true);
    });
  });

  describe("Servers", () => {
    it("deny everything on their port until authorized (accessPolicy defaults to deny)", () => {
      const c = cluster(namespace("all-unauthenticated"), server());
      expect(authorize(c, authors, 7001, webapp, GET("/")).allowed).toBe(false);
      expect(authorize(c, authors, 7002, webapp, GET("/")).allowed).toBe(true); // another port: default policy
      expect(authorize(cluster(server({ accessPolicy: "all-authenticated" })), authors, 7001, webapp, GET("/")).allowed).toBe(true);
    });
    it("select pods by label and ports by number or name", () => {
      const byName = server({ port: "service" });
      const pod = { ...authors, namedPorts: { service: 7001 } };
      expect(authorize(cluster(namespace("all-unauthenticated"), byName), pod, 7001, webapp, GET("/")).allowed).toBe(false);
      const other = { namespace: ns, labels: { app: "books" } };
      expect(authorize(cluster(namespace("all-unauthenticated"), server()), other, 7001, webapp, GET("/")).allowed).toBe(true);
    });
    it("admit the identities of an AuthorizationPolicy on the Server, on every request", () => {
      const c = cluster(server(), policy("authors-policy", onServer, [{ kind: "MeshTLSAuthentication", name: "authn" }]), meshTLS("authn", [id("webapp")]));
      expect(authorize(c, authors, 7001, webapp, POST("/authors.json")).allowed).toBe(true);
      expect(authorize(c, authors, 7001, books, GET("/")).allowed).toBe(false);
      expect(authorize(c, authors, 7001, plaintext, GET("/")).allowed).toBe(false);
    });
    it("admit a ServiceAccount named directly by the policy (the docs' authors-policy)", () => {
      const c = cluster(
        server(),
        o("policy.linkerd.io/v1alpha1", "AuthorizationPolicy", "authors-policy", { targetRef: onServer, requiredAuthenticationRefs: [{ name: "webapp", kind: "ServiceAccount" }] }),
      );
      expect(authorize(c, authors, 7001, webapp, GET("/")).allowed).toBe(true);
      expect(authorize(c, authors, 7001, books, GET("/")).allowed).toBe(false);
    });
    it("ignore a policy whose authentication does not exist", () => {
      const c = cluster(server(), policy("authors-policy", onServer, [{ kind: "MeshTLSAuthentication", name: "missing" }]));
      expect(authorize(c, authors, 7001, webapp, GET("/")).allowed).toBe(false);
    });
    it("require all authentications of a policy: identity and network", () => {
      const c = cluster(
        server(),
        policy("p", onServer, [
          { kind: "MeshTLSAuthentication", name: "authn" },
          { kind: "NetworkAuthentication", name: "net" },
        ]),
        meshTLS("authn", [id("webapp")]),
        network("net", [{ cidr: "10.0.0.0/8", except: ["10.0.0.6/32"] }]),
      );
      expect(authorize(c, authors, 7001, webapp, GET("/")).allowed).toBe(true);
      expect(authorize(c, authors, 7001, { identity: id("webapp"), ip: "10.0.0.6" }, GET("/")).allowed).toBe(false);
      expect(authorize(c, authors, 7001, { identity: id("webapp"), ip: "192.168.1.1" }, GET("/")).allowed).toBe(false);
    });
    it("admit unauthenticated clients through a NetworkAuthentication alone", () => {
      const c = cluster(server(), policy("p", onServer, [{ kind: "NetworkAuthentication", name: "net" }]), network("net", [{ cidr: "0.0.0.0/0" }, { cidr: "::/0" }]));
      expect(authorize(c, authors, 7001, outside, GET("/")).allowed).toBe(true);
      expect(authorize(c, authors, 7001, { ip: "2001:db8::1" }, GET("/")).allowed).toBe(true);
    });
    it("treat opaque ports as connections: routes do not apply", () => {
      const c = cluster(server({ proxyProtocol: "opaque" }), policy("p", onServer, [{ kind: "MeshTLSAuthentication", name: "a" }]), meshTLS("a", ["*"]), route("r", [{ method: "GET" }]));
      expect(authorize(c, authors, 7001, webapp, { kind: "tcp" }).allowed).toBe(true);
      expect(authorize(c, authors, 7001, plaintext, { kind: "tcp" }).allowed).toBe(false);
    });
  });

  describe("routes", () => {
    // The per-route example of the docs: GETs to /authors.json or /authors/* for webapp.
    const authorsGet = route("authors-get-route", [
      { path: { value: "/authors.json" }, method: "GET" },
      { path: { value: "/authors/", type: "PathPrefix" }, method: "GET" },
    ]);
    const base = [server(), authorsGet, policy("authors-get-policy", onRoute("authors-get-route"), [{ kind: "MeshTLSAuthentication", name: "authors-get-authn" }]), meshTLS("authors-get-authn", [id("webapp")])];

    it("authorize only the requests their matches cover, and refuse requests no route matches", () => {
      const c = cluster(...base);
      expect(authorize(c, authors, 7001, webapp, GET("/authors.json")).allowed).toBe(true);
      expect(authorize(c, authors, 7001, webapp, GET("/authors/123.json")).allowed).toBe(true);
      expect(authorize(c, authors, 7001, webapp, GET("/authors")).allowed).toBe(true); // prefix by segment, trailing slash ignored
      expect(authorize(c, authors, 7001, webapp, GET("/authorsx")).allowed).toBe(false);
      expect(authorize(c, authors, 7001, webapp, POST("/authors.json")).allowed).toBe(false);
      expect(authorize(c, authors, 7001, books, GET("/authors.json")).allowed).toBe(false);
      expect(authorize(c, authors, 7001, webapp, GET("/books")).reason).toMatch(/no route matches/);
    });
    it("add the Server's authorizations to every route, but not to requests no route matches", () => {
      const c = cluster(...base, policy("server-wide", onServer, [{ kind: "MeshTLSAuthentication", name: "books" }]), meshTLS("books", [id("books")]));
      expect(authorize(c, authors, 7001, books, GET("/authors.json")).allowed).toBe(true);
      expect(authorize(c, authors, 7001, books, GET("/books")).allowed).toBe(false);
    });
    it("serve a request by its most specific match: longer path, then method, then headers", () => {
      const c = cluster(
        server(),
        route("wide", [{ path: { type: "PathPrefix", value: "/" } }]),
        route("narrow", [{ path: { type: "PathPrefix", value: "/admin" } }]),
        policy("wide", onRoute("wide"), [{ kind: "MeshTLSAuthentication", name: "everyone" }]),
        meshTLS("everyone", ["*"]),
      );
      expect(authorize(c, authors, 7001, books, GET("/books")).allowed).toBe(true);
      expect(authorize(c, authors, 7001, books, GET("/admin/users")).allowed).toBe(false);
    });
    it("report ties between routes as ambiguous when their outcomes differ", () => {
      const c = cluster(
        server(),
        route("exact", [{ path: { type: "Exact", value: "/admin" } }]),
        route("prefix", [{ path: { type: "PathPrefix", value: "/admin/" } }]),
        policy("exact", onRoute("exact"), [{ kind: "MeshTLSAuthentication", name: "everyone" }]),
        meshTLS("everyone", ["*"]),
      );
      const d = authorize(c, authors, 7001, books, GET("/admin"));
      expect(d.ambiguous).toBe(true);
      expect(authorize(c, authors, 7001, books, GET("/admin/x")).allowed).toBe(false);
    });
    it("match regular expressions against the whole path", () => {
      const c = cluster(server(), route("re", [{ path: { type: "RegularExpression", value: "/static/.*" } }]), policy("re", onRoute("re"), [{ kind: "MeshTLSAuthentication", name: "a" }]), meshTLS("a", ["*"]));
      expect(authorize(c, authors, 7001, books, GET("/static/app.js")).allowed).toBe(true);
      expect(authorize(c, authors, 7001, books, GET("/static")).allowed).toBe(false);
      expect(authorize(c, authors, 7001, books, GET("/x/static/app.js")).allowed).toBe(false);
    });
    it("use GRPCRoutes on gRPC Servers, ranking methods above services above the catch-all", () => {
      const grpc = (name: string, rules: unknown[]) =>
        o("gateway.networking.k8s.io/v1", "GRPCRoute", name, { parentRefs: [{ group: "policy.linkerd.io", kind: "Server", name: "authors-server" }], rules });
      const c = cluster(
        server({ proxyProtocol: "gRPC" }),
        grpc("svc", [{ matches: [{ method: { service: "books.Authors" } }] }]),
        grpc("one", [{ matches: [{ method: { service: "books.Authors", method: "Delete" } }] }]),
        policy("svc", { group: "gateway.networking.k8s.io", kind: "GRPCRoute", name: "svc" }, [{ kind: "MeshTLSAuthentication", name: "w" }]),
        meshTLS("w", [id("webapp")]),
      );
      const call = (method: string) => ({ kind: "grpc" as const, service: "books.Authors", method });
      expect(authorize(c, authors, 7001, webapp, call("Get")).allowed).toBe(true);
      expect(authorize(c, authors, 7001, webapp, call("Delete")).allowed).toBe(false);
      expect(authorize(c, authors, 7001, webapp, { kind: "grpc", service: "books.Other", method: "Get" }).allowed).toBe(false);
    });
  });

  it("matches identities exactly, by `*`, or by a `*.` domain suffix", () => {
    expect(identityMatches("*", id("webapp"))).toBe(true);
    expect(identityMatches(`*.${ns}.serviceaccount.identity.linkerd.cluster.local`, id("webapp"))).toBe(true);
    expect(identityMatches("*.other.serviceaccount.identity.linkerd.cluster.local", id("webapp"))).toBe(false);
    expect(identityMatches(id("books"), id("webapp"))).toBe(false);
  });

  it("matches CIDRs for IPv4 and IPv6", () => {
    expect(inCidr("10.1.2.3", "10.0.0.0/8")).toBe(true);
    expect(inCidr("11.1.2.3", "10.0.0.0/8")).toBe(false);
    expect(inCidr("10.1.2.3", "::/0")).toBe(false);
    expect(inCidr("fd00::1", "fd00::/8")).toBe(true);
  });
});
