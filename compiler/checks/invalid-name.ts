// Invalid name
// Every name that becomes a Kubernetes name or label is one Kubernetes accepts (DNS-1123).
// See: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
import type { Span } from "../ir.js";
import type { Check } from "./check.js";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;

/** Why `name` is not a DNS-1123 label, or undefined when it is one. */
export function dns1123Label(name: string): string | undefined {
  if (name.length === 0) return "it is empty";
  if (name.length > 63) return `it has ${name.length} characters, more than 63`;
  if (!DNS1123_LABEL.test(name)) return "use only lower-case letters, digits and '-', starting and ending with a letter or digit";
  return undefined;
}

function subdomain(name: string): string | undefined {
  if (name.length === 0) return "it is empty";
  if (name.length > 253) return `it has ${name.length} characters, more than 253`;
  if (!DNS1123_SUBDOMAIN.test(name)) return "use only lower-case letters, digits, '-' and '.', each part starting and ending with a letter or digit";
  return undefined;
}

/** IANA service names: what Kubernetes requires of port names. */
function portName(name: string): string | undefined {
  if (name.length > 15) return `port names have at most 15 characters, this has ${name.length}`;
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) || name.includes("--")) return "port names use lower-case letters, digits and single '-', starting and ending with a letter or digit";
  if (!/[a-z]/.test(name)) return "port names must contain a letter";
  return undefined;
}

function labelValue(value: string): string | undefined {
  if (value.length > 63) return `label values have at most 63 characters, this has ${value.length}`;
  if (!LABEL_VALUE.test(value)) return "label values use letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
  return undefined;
}

function labelKey(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && subdomain(prefix)) return `the prefix "${prefix}" is not a DNS subdomain`;
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) return "label names have 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  return undefined;
}

export const invalidName: Check = {
  name: "InvalidName",
  run({ ir }, report) {
    const check = (kind: string, name: string, rule: (n: string) => string | undefined, span: Span) => {
      const why = rule(name);
      if (why) report("InvalidName", { kind, name, rule: why }, span);
    };
    check("Mesh name", ir.name, dns1123Label, ir.fieldSpans.name ?? ir.span);
    if (ir.fieldSpans.namespace) check("Namespace", ir.namespace, dns1123Label, ir.fieldSpans.namespace);
    check("Trust domain", ir.trustDomain, subdomain, ir.fieldSpans.trustDomain ?? ir.span);
    for (const s of ir.services) {
      check("Service name", s.name, dns1123Label, s.fieldSpans.name ?? s.span);
      if (s.namespace !== ir.namespace) check("Namespace", s.namespace, dns1123Label, s.fieldSpans.namespace ?? s.span);
      check("Service account", s.serviceAccount, subdomain, s.fieldSpans.serviceAccount ?? s.span);
      for (const p of s.ports) check("Port name", p.name, portName, p.span);
      for (const v of s.versions) {
        // Versions name Deployments "<service>-<version>" and label pods.
        check("Version name", v.name, dns1123Label, v.span);
        if (!dns1123Label(v.name) && s.name.length + 1 + v.name.length > 63) {
          report("InvalidName", { kind: "Deployment name", name: `${s.name}-${v.name}`, rule: "service and version names together exceed 63 characters" }, v.span);
        }
        for (const [k, value] of Object.entries(v.selector)) {
          check("Label key", k, labelKey, v.span);
          check(`Label "${k}" value`, value, labelValue, v.span);
        }
      }
      for (const [k, value] of Object.entries(s.labels)) {
        check("Label key", k, labelKey, s.fieldSpans.labels ?? s.span);
        check(`Label "${k}" value`, value, labelValue, s.fieldSpans.labels ?? s.span);
      }
    }
    for (const x of ir.external) {
      check("External host name", x.id, dns1123Label, x.span);
      check("External host", x.host.replace(/^\*\./, ""), subdomain, x.fieldSpans.host ?? x.span);
    }
    for (const i of ir.ingresses) {
      check("Ingress name", i.name, dns1123Label, i.fieldSpans.name ?? i.span);
      // The gateway's defaults derive from the ingress name: one mistake, one report.
      if (dns1123Label(i.name)) continue;
      check("Gateway namespace", i.gateway.namespace, dns1123Label, i.fieldSpans.gateway ?? i.span);
      check("Gateway service account", i.gateway.serviceAccount, subdomain, i.fieldSpans.gateway ?? i.span);
      for (const [k, value] of Object.entries(i.gateway.selector)) {
        check("Label key", k, labelKey, i.fieldSpans.gateway ?? i.span);
        check(`Label "${k}" value`, value, labelValue, i.fieldSpans.gateway ?? i.span);
      }
    }
  },
};
