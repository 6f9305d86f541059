/**
 * Pulumi's official unit-test runtime (`pulumi.runtime.setMocks`) plus a record of every
 * RegisterResource request as the engine would receive it: type, name, parent, provider,
 * dependencies, and inputs with secrets still marked.
 */
import * as pulumi from "@pulumi/pulumi";

export interface Registration {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** Parent URN, "" for none. */
  readonly parent: string;
  readonly custom: boolean;
  /** Provider reference `<urn>::<id>`, "" for the default provider. */
  readonly provider: string;
  /** URNs this resource was registered as depending on. */
  readonly dependencies: readonly string[];
  /** Inputs; a secret is `{ [specialSigKey]: specialSecretSig, value }`. */
  readonly inputs: Record<string, unknown>;
  /** Output properties the resource asks the engine to keep secret. */
  readonly additionalSecretOutputs: readonly string[];
}

export function isSecretValue(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

/** The value with every secret marker replaced by what it holds. */
export function reveal(value: unknown): unknown {
  if (isSecretValue(value)) return reveal(value.value);
  if (Array.isArray(value)) return value.map(reveal);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
  return value;
}

/** Fake PEM blocks that name the resource they came from, so tests can follow the wiring. */
export function fakePem(label: "PRIVATE KEY" | "CERTIFICATE" | "CERTIFICATE REQUEST" | "PUBLIC KEY", name: string): string {
  return `-----BEGIN ${label}-----\n${Buffer.from(name).toString("base64")}\n-----END ${label}-----\n`;
}

/** What the tls provider would compute; everything else echoes its inputs. */
function outputs(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  switch (args.type) {
    case "tls:index/privateKey:PrivateKey":
      return { ...args.inputs, privateKeyPem: fakePem("PRIVATE KEY", args.name), publicKeyPem: fakePem("PUBLIC KEY", args.name) };
    case "tls:index/certRequest:CertRequest":
      return { ...args.inputs, certRequestPem: fakePem("CERTIFICATE REQUEST", args.name) };
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      return { ...args.inputs, certPem: fakePem("CERTIFICATE", args.name) };
    default:
      return args.inputs;
  }
}

export interface MockRun {
  readonly registrations: Registration[];
  /** Waits until the program's registrations have all been answered. */
  settle(...outputs: pulumi.Output<unknown>[]): Promise<void>;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getDependenciesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getObject(): unknown;
}

/** Installs fresh mocks (a new mock monitor: nothing registered yet) and starts recording. */
export async function startMocks(options: { preview?: boolean } = {}): Promise<MockRun> {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: args.custom === false ? undefined : `${args.name}-id`, state: outputs(args) }),
      call: (args) => args.inputs,
    },
    "meshc",
    "test",
    options.preview ?? false,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, callback: (err: unknown, res: unknown) => void): Promise<void>;
    newUrn(parent: string, type: string, name: string): string;
  };
  const registrations: Registration[] = [];
  let started = 0;
  let answered = 0;
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    started++;
    registrations.push({
      urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
      type: req.getType(),
      name: req.getName(),
      parent: req.getParent(),
      custom: req.getCustom(),
      provider: req.getProvider(),
      dependencies: [...req.getDependenciesList()].sort(),
      inputs: pulumi.runtime.deserializeProperties(req.getObject() as never) as Record<string, unknown>,
      additionalSecretOutputs: [...req.getAdditionalsecretoutputsList()].sort(),
    });
    return original(req, (err, res) => {
      answered++;
      callback(err, res);
    });
  };
  return {
    registrations,
    async settle(...wait) {
      await Promise.all(wait.map((o) => new Promise((resolve) => o.apply(resolve))));
      // Registrations start as their inputs resolve; quiet for a few timer turns means done.
      let quiet = 0;
      let last = -1;
      while (quiet < 5) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        quiet = started === answered && started === last ? quiet + 1 : 0;
        last = started;
      }
    },
  };
}
