import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { sortDiagnostics, type Diagnostic } from "../../compiler/diagnostics.js";
import { formatText } from "../../compiler/format/text.js";
import { compareIds } from "../../compiler/ir.js";
import { workloadCertSecretName } from "../conventions.js";
import { unsupported } from "../target.js";
import { buildForDeployment, MeshDeploymentError, type MeshBuild } from "./build.js";
import { certificateNeeds, certificateObjects, needsAnything, type CertificateNeeds } from "./certificates.js";
import { kindOf, planObjects, withObjects, type KubeObject, type ObjectPlan, type PlannedObject } from "./objects.js";
import { dependencies, roleOf } from "./order.js";
import { MeshPki } from "./pki.js";
import { createPatch, createResource, isCustomResource } from "./resources.js";

export interface MeshDeploymentArgs {
  /** Path of the mesh.ts, relative to the working directory (the Pulumi project folder). */
  readonly mesh: string;
  /** The target to deploy: `kubernetes`, `envoy`, `istio` or `linkerd` (any registered target but `certs`). */
  readonly target: string;
  /**
   * Moves the mesh's default namespace, e.g. one namespace per stack. Services and gateways the
   * mesh places in other namespaces stay there.
   * @default the namespace mesh.ts declares
   */
  readonly namespace?: string;
  /**
   * Also deploy the `kubernetes` target (Namespaces, ServiceAccounts, Services, Deployments,
   * NetworkPolicies), which the mesh targets build on. Turn off when workloads are deployed
   * some other way.
   * @default true
   */
  readonly workloads?: boolean;
  /**
   * Issue the mesh's certificates in Pulumi (keys in Pulumi state, as secrets): Istio's plug-in
   * CA, Linkerd's identity issuer, and the workload certificates Envoy sidecars mount.
   * @default true, or false with `renderYamlToDirectory` (keys would be written to disk in plain text)
   */
  readonly certificates?: boolean;
  /**
   * Labels added to the mesh's Namespaces: what the cluster's mesh needs to act on them.
   * @example { "istio-injection": "enabled" } // Istio sidecar injection
   */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
  /**
   * Kinds to leave out, as `Kind` for the core group or `Kind.group` (`NetworkPolicy.networking.k8s.io`).
   * @example ["NetworkPolicy.networking.k8s.io"]
   */
  readonly exclude?: readonly string[];
  /**
   * Warnings (including MESH2xx, features the target cannot express) fail the deployment.
   * @default false
   */
  readonly strict?: boolean;
  /** The Kubernetes provider (cluster, context, default namespace) for every object. @default the stack's default provider */
  readonly provider?: k8s.Provider;
  /**
   * Render the objects as YAML into this folder instead of applying them (GitOps): a
   * `k8s.Provider({ renderYamlToDirectory })` for every object. Not together with `provider`.
   */
  readonly renderYamlToDirectory?: string;
  /**
   * What installs the mesh's control plane (its CRDs, istiod, Linkerd): custom resources and
   * workloads wait for it. Either the resources, or a function that makes them: it is called with
   * the control plane's certificate objects (Istio's `cacerts`, Linkerd's issuer and trust roots),
   * which are created first, so the control plane can wait for its CA.
   * @example (certificates) => [new k8s.helm.v3.Release("istiod", { ... }, { dependsOn: certificates })]
   */
  readonly controlPlane?: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | ((certificates: readonly pulumi.CustomResource[]) => pulumi.Input<pulumi.Input<pulumi.Resource>[]>);
}

/** A service as the outputs list it. */
export interface ServiceSummary {
  readonly namespace: string;
  readonly name: string;
  readonly serviceAccount: string;
  readonly spiffeId: string;
  /** Port number by port name. */
  readonly ports: Readonly<Record<string, number>>;
}

const TYPE = "meshc:index:MeshDeployment";

/**
 * A mesh.ts deployed with Pulumi: the chosen target's Kubernetes objects (and by default the
 * kubernetes target's) as `@pulumi/kubernetes` resources, plus the mesh's certificates.
 *
 * Each object's logical name is `<component>:<Kind>[.<group>]/<namespace>/<name>`, a function of
 * the object's identity only, so `pulumi preview` after an edit to mesh.ts shows the objects that
 * edit changed and nothing else. Objects are created in a safe order (see order.ts): namespaces
 * first, custom resources after their CRDs, default-deny policies after the allows of their
 * namespace, workloads last.
 *
 * A mesh with errors fails the program with meshc's diagnostics (as `meshc check` prints them);
 * warnings are logged.
 *
 * @example
 * const mesh = new MeshDeployment("bookinfo", { mesh: "./mesh.ts", target: "istio" });
 * export const services = mesh.services;
 */
export class MeshDeployment extends pulumi.ComponentResource {
  /** Every Kubernetes resource, by logical name without the component prefix (`Service/bookinfo/reviews`). */
  readonly resources: Readonly<Record<string, pulumi.CustomResource>>;
  /** The certificate objects the control plane reads at start (`istio-system/cacerts`, Linkerd's issuer and trust roots). */
  readonly controlPlaneCertificates: readonly pulumi.CustomResource[];
  /** The PKI, when certificates are on. */
  readonly pki?: MeshPki;
  /** The mesh's root certificate (public), when certificates are on. */
  readonly rootCertificate: pulumi.Output<string | undefined>;
  /** Services by id (`<namespace>/<name>`). */
  readonly services: pulumi.Output<Record<string, ServiceSummary>>;
  /** SPIFFE IDs of the mesh's workloads and gateways. */
  readonly identities: pulumi.Output<string[]>;
  readonly namespaces: pulumi.Output<string[]>;
  /** Access policies deployed, by their place in the order: `allow` and `deny`. */
  readonly policyCounts: pulumi.Output<{ allow: number; deny: number }>;
  /** Resources by `Kind[.group]`. */
  readonly resourceCounts: pulumi.Output<Record<string, number>>;
  /** The warnings meshc reported, as `meshc check` prints them ("" when none). */
  readonly warnings: pulumi.Output<string>;

  constructor(name: string, args: MeshDeploymentArgs, opts: pulumi.ComponentResourceOptions = {}) {
    if (args.provider && args.renderYamlToDirectory !== undefined) {
      throw new MeshDeploymentError(`MeshDeployment "${name}": pass either \`provider\` or \`renderYamlToDirectory\`, not both (give your provider the renderYamlToDirectory option instead).`);
    }
    // Compile before registering anything: a mesh with errors leaves no half-made component.
    const build = buildForDeployment({
      mesh: args.mesh,
      target: args.target,
      workloads: args.workloads ?? true,
      ...(args.namespace !== undefined ? { namespace: args.namespace } : {}),
      strict: args.strict ?? false,
      cwd: process.cwd(),
    });
    const ir = build.ir;
    let plan = labelNamespaces(excludeKinds(planObjects(build.artifacts), args.exclude ?? []), args.namespaceLabels ?? {});
    const certificates = args.certificates ?? args.renderYamlToDirectory === undefined;
    const needs = certificateNeeds(ir, build.targets, plan.objects);
    const notes = certificateNotes(build, certificates, needs);
    if (notes.length > 0 && args.strict) throw new MeshDeploymentError(`${args.mesh} cannot be deployed:\n\n${formatText(notes, { root: build.root, cwd: process.cwd(), color: false })}`, notes);
    const diagnostics = sortDiagnostics([...build.diagnostics, ...notes]);
    const report = diagnostics.length > 0 ? formatText(diagnostics, { root: build.root, cwd: process.cwd(), color: false }) : "";
    super(TYPE, name, {}, opts);
    if (report) pulumi.log.warn(report, this);

    if (certificates && needsAnything(needs)) {
      this.pki = new MeshPki(
        `${name}-pki`,
        { mesh: ir.name, trustDomain: ir.trustDomain, certificates: ir.certificates, intermediate: needs.istio, linkerdIssuer: needs.linkerd, workloads: needs.workloads },
        { parent: this },
      );
      plan = withObjects(plan, certificateObjects(ir, needs, this.pki), "pki");
    }

    const provider =
      args.provider ??
      (args.renderYamlToDirectory !== undefined ? new k8s.Provider(`${name}-render-yaml`, { renderYamlToDirectory: args.renderYamlToDirectory }, { parent: this }) : undefined);
    const created = this.createResources(name, plan, provider, args.controlPlane);
    this.resources = created.resources;
    this.controlPlaneCertificates = created.controlPlaneCertificates;

    const roles = plan.objects.map((o) => roleOf(o.object));
    const kinds: Record<string, number> = {};
    for (const o of plan.objects) kinds[kindOf(o.object)] = (kinds[kindOf(o.object)] ?? 0) + 1;
    this.rootCertificate = this.pki ? this.pki.rootCertPem : pulumi.output(undefined);
    this.services = pulumi.output(
      Object.fromEntries(
        ir.services.map((s) => [
          s.id,
          { namespace: s.namespace, name: s.name, serviceAccount: s.serviceAccount, spiffeId: s.identity.spiffeId, ports: Object.fromEntries(s.ports.map((p) => [p.name, p.port])) },
        ]),
      ),
    );
    this.identities = pulumi.output(
      [...new Set([...ir.identities.map((i) => i.spiffeId), ...ir.ingresses.map((i) => i.gateway.identity.spiffeId)])].sort(compareIds),
    );
    this.namespaces = pulumi.output([...ir.namespaces]);
    this.policyCounts = pulumi.output({ allow: roles.filter((r) => r === "allow").length, deny: roles.filter((r) => r === "deny").length });
    this.resourceCounts = pulumi.output(Object.fromEntries(Object.entries(kinds).sort(([a], [b]) => compareIds(a, b))));
    this.warnings = pulumi.output(report);
    this.registerOutputs({
      services: this.services,
      identities: this.identities,
      namespaces: this.namespaces,
      policyCounts: this.policyCounts,
      resourceCounts: this.resourceCounts,
      rootCertificate: this.rootCertificate,
      warnings: this.warnings,
    });
  }

  private createResources(
    name: string,
    plan: ObjectPlan,
    provider: k8s.Provider | undefined,
    controlPlaneArg: MeshDeploymentArgs["controlPlane"],
  ): { resources: Record<string, pulumi.CustomResource>; controlPlaneCertificates: pulumi.CustomResource[] } {
    const deps = dependencies(plan.objects);
    const namespaces = new Set(plan.objects.filter((o) => roleOf(o.object) === "namespace").map((o) => o.object.metadata.name));
    const resources: Record<string, pulumi.CustomResource> = {};
    const base = { parent: this, ...(provider ? { provider } : {}) };
    // A component's own dependsOn needs no copying: children are registered after their parent,
    // which waits for it. Pulumi flattens the nested lists, promises and outputs here.
    const waitFor = (...lists: unknown[]) => lists.filter((l) => l !== undefined) as pulumi.Input<pulumi.Resource>[];
    let controlPlane: unknown;
    // Dependencies never form a cycle (see order.ts); creating depth-first makes each object after
    // the ones it waits for, whatever the plan's order.
    const pending = new Map<string, PlannedObject>(plan.objects.map((o) => [o.key, o]));
    const make = (o: PlannedObject) => {
      pending.delete(o.key);
      for (const d of deps.get(o.key) ?? []) {
        const dep = pending.get(d);
        if (dep) make(dep);
      }
      const waitsForControlPlane = isCustomResource(o.object) || roleOf(o.object) === "workload";
      const own = (deps.get(o.key) ?? []).map((d) => resources[d]!);
      return (resources[o.key] = createResource(`${name}:${o.key}`, o.object, { ...base, dependsOn: waitFor(own, waitsForControlPlane ? controlPlane : undefined) }));
    };
    // The PKI's objects outside the mesh's namespaces (istio-system, linkerd) are the control
    // plane's CA: made first, so a control plane made by the callback can wait for them.
    const controlPlaneCertificates = plan.objects.filter((o) => o.source === "pki" && o.object.metadata.namespace !== undefined && !namespaces.has(o.object.metadata.namespace)).map(make);
    controlPlane = typeof controlPlaneArg === "function" ? controlPlaneArg(controlPlaneCertificates) : controlPlaneArg;
    for (const o of plan.objects) if (pending.has(o.key)) make(o);
    for (const p of plan.patches) {
      resources[`${p.key}#patch`] = createPatch(`${name}:${p.key}#patch`, p.patch, { ...base, dependsOn: waitFor(controlPlane) });
    }
    return { resources, controlPlaneCertificates };
  }
}

/**
 * What the deployment cannot do as the mesh asks: Linkerd's issuer is ECDSA P-256 whatever the
 * mesh's algorithm, and workload certificates the mesh leaves to cert-manager are not issued here.
 */
function certificateNotes(build: MeshBuild, certificates: boolean, needs: CertificateNeeds): Diagnostic[] {
  const c = build.ir.certificates;
  const notes: Diagnostic[] = [];
  if (!certificates) return notes;
  if (build.targets.includes("linkerd") && c.keyAlgorithm !== "ecdsa-p256") {
    notes.push(
      unsupported(
        "linkerd",
        `${c.keyAlgorithm} keys`,
        "Linkerd's identity issuer must have an ECDSA P-256 key, so the deployment issues it with one (the root keeps the mesh's algorithm)",
        c.span,
      ),
    );
  }
  if (needs.certManager.length > 0) {
    notes.push(
      unsupported(
        "pulumi",
        "cert-manager workload certificates",
        `the mesh leaves workload certificates to cert-manager, whose Issuer and Certificates the Pulumi deployment does not create; the Secrets ${needs.certManager.map((i) => `"${i.namespace}/${workloadCertSecretName(i)}"`).join(", ")} must come from cert-manager before the pods mounting them can start`,
        c.span,
      ),
    );
  }
  return notes;
}

/** The plan with labels added to its Namespaces; the caller's value wins over a target's for the same key. */
function labelNamespaces(plan: ObjectPlan, labels: Readonly<Record<string, string>>): ObjectPlan {
  if (Object.keys(labels).length === 0) return plan;
  const label = (o: PlannedObject): PlannedObject => {
    if (roleOf(o.object) !== "namespace") return o;
    const merged = Object.fromEntries(Object.entries({ ...o.object.metadata.labels, ...labels }).sort(([a], [b]) => compareIds(a, b)));
    return { ...o, object: { ...o.object, metadata: { ...o.object.metadata, labels: merged } } };
  };
  return { ...plan, objects: plan.objects.map(label) };
}

/** The plan without the excluded kinds (`Kind` or `Kind.group`). */
function excludeKinds(plan: ObjectPlan, exclude: readonly string[]): ObjectPlan {
  if (exclude.length === 0) return plan;
  const out = new Set(exclude);
  const kept = (o: KubeObject) => !out.has(kindOf(o)) && !out.has(o.kind);
  return { ...plan, objects: plan.objects.filter((o) => kept(o.object)), patches: plan.patches.filter((p) => kept(p.patch)) };
}
