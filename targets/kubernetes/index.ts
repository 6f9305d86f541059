import { kubernetesArtifact, type Artifact } from "../../compiler/artifact.js";
import { diagnostic } from "../../compiler/codes.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import { compareIds, indexServices, type MeshIR, type Span } from "../../compiler/ir.js";
import { CONTROL_PLANES, sharedContainerPortDetail, sharedContainerPorts } from "../conventions.js";
import { unsupported, type Target, type TargetOptions } from "../target.js";
import { networkPolicies } from "./network-policies.js";
import { deploymentObjects, namespaceObject, serviceAccountObject, serviceObject, TARGET } from "./workloads.js";

interface Generated {
  readonly object: { kind: string; metadata: { name: string; namespace?: string } };
  /** The declaration the object comes from, to point at when two objects get one name. */
  readonly span: Span;
}

const byNamespaceAndName = (a: Generated, b: Generated) =>
  compareIds(a.object.metadata.namespace ?? "", b.object.metadata.namespace ?? "") || compareIds(a.object.metadata.name, b.object.metadata.name);

function run(ir: MeshIR, options: TargetOptions): { artifacts: Artifact[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const services = indexServices(ir);

  const namespaces: Generated[] = ir.namespaces.map((ns) => ({ object: namespaceObject(ir, ns), span: ir.fieldSpans.namespace ?? ir.span }));
  const accounts: Generated[] = ir.identities.map((identity) => {
    const first = services.get(identity.services[0] ?? "");
    return { object: serviceAccountObject(ir, identity), span: first?.fieldSpans.serviceAccount ?? first?.span ?? ir.span };
  });
  const serviceObjects: Generated[] = [];
  const deployments: Generated[] = [];
  for (const service of ir.services) {
    for (const group of sharedContainerPorts(service)) {
      for (const port of group) diagnostics.push(unsupported(TARGET, "two Service ports on one container port", sharedContainerPortDetail(service, group, port, "NetworkPolicy"), port.span));
    }
    const svc = serviceObject(ir, service);
    if (svc) serviceObjects.push({ object: svc, span: service.span });
    const d = deploymentObjects(ir, service);
    for (const object of d.deployments) deployments.push({ object, span: service.span });
    diagnostics.push(...d.diagnostics);
  }
  // Sidecars of the meshes built alongside must reach their control plane through our egress policies.
  const controlPlanes = (options.targets ?? []).flatMap((t) => (CONTROL_PLANES[t] ? [CONTROL_PLANES[t]] : []));
  const np = networkPolicies(ir, controlPlanes, (options.targets ?? []).includes("envoy"));
  diagnostics.push(...np.diagnostics);
  const policies: Generated[] = np.policies.map((p) => ({ object: p.policy, span: p.span }));

  // Reading order: where things live, who they run as, how they are addressed, what runs, and
  // who may talk to whom.
  const all = [namespaces, accounts, serviceObjects.sort(byNamespaceAndName), deployments.sort(byNamespaceAndName), policies].flat();

  // Generated names join declared ones ("<service>-<version>", "allow-<service>-<port>"), so two
  // declarations can meet on one name; the second would silently overwrite the first.
  const artifacts: Artifact[] = [];
  const seen = new Map<string, Generated>();
  for (const g of all) {
    const artifact = kubernetesArtifact(TARGET, g.object);
    const first = seen.get(artifact.path);
    if (first) {
      diagnostics.push(
        diagnostic("DuplicateName", { kind: `generated ${g.object.kind}`, name: g.object.metadata.name }, g.span, {
          related: [{ message: `The other ${g.object.kind} named "${g.object.metadata.name}" comes from here.`, span: first.span }],
          target: TARGET,
        }),
      );
      continue;
    }
    seen.set(artifact.path, g);
    artifacts.push(artifact);
  }
  return { artifacts, diagnostics };
}

/** Kubernetes core objects for the mesh, and NetworkPolicies enforcing its call graph at L3/L4. */
export const kubernetesTarget: Target = {
  name: TARGET,
  description: "Namespaces, ServiceAccounts, Services, Deployments, and NetworkPolicies enforcing the call graph at L3/L4",
  run: (ir, options) => run(ir, options),
};
