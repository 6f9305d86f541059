import { readFileSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  compileCelRule,
  escapeCelFieldName,
  knownKinds,
  listCelRules,
  storageApiVersion,
  validateAgainstSchema,
  validateCustomResource,
  type CrdIssue,
} from './crd-validator.js'
import { parseGoDuration, re2ToRegExp } from './crd-validator-cel.js'

type Obj = Record<string, unknown>

const meta = (name: string): Obj => ({
  name,
  namespace: 'shop',
  labels: { 'app.kubernetes.io/managed-by': 'meshc', 'app.kubernetes.io/part-of': 'shop' },
  annotations: { 'meshc.dev/source': 'mesh.ts:12' },
})

const ORDERS = 'orders.shop.svc.cluster.local'

function authorizationPolicy(): Obj {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: meta('orders-allow-frontend'),
    spec: {
      selector: { matchLabels: { app: 'orders' } },
      action: 'ALLOW',
      rules: [
        {
          from: [{ source: { principals: ['cluster.local/ns/shop/sa/frontend'], namespaces: ['shop'] } }],
          to: [{ operation: { methods: ['GET', 'POST'], paths: ['/orders/*'], ports: ['8080'] } }],
          when: [{ key: 'request.headers[x-tenant]', values: ['acme'] }],
        },
        { from: [{ source: { serviceAccounts: ['shop/checkout'] } }] },
      ],
    },
  }
}

function peerAuthentication(): Obj {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: meta('orders-mtls'),
    spec: {
      selector: { matchLabels: { app: 'orders' } },
      mtls: { mode: 'STRICT' },
      portLevelMtls: { '9090': { mode: 'PERMISSIVE' } },
    },
  }
}

function destinationRule(): Obj {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: meta('orders'),
    spec: {
      host: ORDERS,
      trafficPolicy: {
        connectionPool: {
          tcp: { maxConnections: 100, connectTimeout: '2s' },
          http: { http1MaxPendingRequests: 50, http2MaxRequests: 200, maxRequestsPerConnection: 10, idleTimeout: '30s' },
        },
        loadBalancer: { simple: 'LEAST_REQUEST' },
        outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
        tls: { mode: 'ISTIO_MUTUAL' },
      },
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        {
          name: 'v2',
          labels: { version: 'v2' },
          trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } },
        },
      ],
    },
  }
}

function virtualService(): Obj {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: meta('orders'),
    spec: {
      hosts: [ORDERS],
      http: [
        {
          name: 'canary',
          match: [{ uri: { prefix: '/orders' }, headers: { 'x-canary': { exact: 'true' } } }],
          route: [{ destination: { host: ORDERS, subset: 'v2', port: { number: 8080 } }, weight: 100 }],
          timeout: '5s',
          retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,reset' },
        },
        {
          name: 'default',
          route: [
            { destination: { host: ORDERS, subset: 'v1' }, weight: 90 },
            { destination: { host: ORDERS, subset: 'v2' }, weight: 10 },
          ],
          corsPolicy: { allowOrigins: [{ exact: 'https://shop.example.com' }], allowMethods: ['GET'], maxAge: '24h' },
        },
      ],
    },
  }
}

function sidecar(): Obj {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Sidecar',
    metadata: meta('orders'),
    spec: {
      workloadSelector: { labels: { app: 'orders' } },
      ingress: [{ port: { number: 8080, protocol: 'HTTP', name: 'http' }, defaultEndpoint: '127.0.0.1:8080' }],
      egress: [{ hosts: ['./*', 'istio-system/*'] }],
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
      inboundConnectionPool: { http: { http2KeepAlive: { interval: '30s', timeout: '5s' } } },
    },
  }
}

function serviceEntry(): Obj {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: meta('legacy-db'),
    spec: {
      hosts: ['db.legacy.internal'],
      addresses: ['10.20.0.0/24'],
      location: 'MESH_EXTERNAL',
      ports: [
        { number: 5432, name: 'tcp-postgres', protocol: 'TCP' },
        { number: 9187, name: 'http-metrics', protocol: 'HTTP' },
      ],
      resolution: 'STATIC',
      endpoints: [
        { address: '10.20.0.5', ports: { 'tcp-postgres': 5432 }, labels: { role: 'primary' } },
        { address: 'unix:///var/run/pg.sock' },
      ],
    },
  }
}

function dnsServiceEntry(): Obj {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: meta('stripe'),
    spec: {
      hosts: ['api.stripe.com'],
      location: 'MESH_EXTERNAL',
      ports: [{ number: 443, name: 'tls', protocol: 'TLS' }],
      resolution: 'DNS',
    },
  }
}

function gateway(): Obj {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: meta('shop-ingress'),
    spec: {
      selector: { istio: 'ingressgateway' },
      servers: [
        {
          port: { number: 443, name: 'https', protocol: 'HTTPS' },
          hosts: ['shop.example.com'],
          tls: { mode: 'SIMPLE', credentialName: 'shop-cert', minProtocolVersion: 'TLSV1_2' },
        },
        { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['shop.example.com'], tls: { httpsRedirect: true } },
      ],
    },
  }
}

function linkerdServer(): Obj {
  return {
    apiVersion: 'policy.linkerd.io/v1beta3',
    kind: 'Server',
    metadata: meta('orders-http'),
    spec: { podSelector: { matchLabels: { app: 'orders' } }, port: 'http', proxyProtocol: 'HTTP/2', accessPolicy: 'deny' },
  }
}

function linkerdAuthorizationPolicy(): Obj {
  return {
    apiVersion: 'policy.linkerd.io/v1alpha1',
    kind: 'AuthorizationPolicy',
    metadata: meta('orders-http-frontend'),
    spec: {
      targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'orders-http' },
      requiredAuthenticationRefs: [{ group: 'policy.linkerd.io', kind: 'MeshTLSAuthentication', name: 'frontend' }],
    },
  }
}

function meshTlsAuthentication(): Obj {
  return {
    apiVersion: 'policy.linkerd.io/v1alpha1',
    kind: 'MeshTLSAuthentication',
    metadata: meta('frontend'),
    spec: { identities: ['frontend.shop.serviceaccount.identity.linkerd.cluster.local'] },
  }
}

function networkAuthentication(): Obj {
  return {
    apiVersion: 'policy.linkerd.io/v1alpha1',
    kind: 'NetworkAuthentication',
    metadata: meta('cluster-network'),
    spec: { networks: [{ cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] }, { cidr: 'fd00::/8' }] },
  }
}

function rateLimitPolicy(): Obj {
  return {
    apiVersion: 'policy.linkerd.io/v1alpha1',
    kind: 'HTTPLocalRateLimitPolicy',
    metadata: meta('orders-http'),
    spec: {
      targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'orders-http' },
      total: { requestsPerSecond: 100 },
      identity: { requestsPerSecond: 20 },
      overrides: [{ requestsPerSecond: 50, clientRefs: [{ kind: 'ServiceAccount', name: 'frontend', namespace: 'shop' }] }],
    },
  }
}

function egressNetwork(): Obj {
  return {
    apiVersion: 'policy.linkerd.io/v1alpha1',
    kind: 'EgressNetwork',
    metadata: { name: 'internet', namespace: 'linkerd-egress' },
    spec: { trafficPolicy: 'Deny', networks: [{ cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] }] },
  }
}

function httpRoute(): Obj {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: meta('orders'),
    spec: {
      parentRefs: [
        { group: 'core', kind: 'Service', name: 'orders', port: 8080 },
        // Same name, other namespace: only a different parent if `namespace` reaches the
        // rule as `__namespace__`.
        { group: 'core', kind: 'Service', name: 'orders', namespace: 'shop-staging', port: 8080 },
      ],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/orders' }, method: 'GET', headers: [{ name: 'x-canary', value: 'true' }] }],
          filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-meshc', value: '1' }] } }],
          backendRefs: [
            { name: 'orders-v2', port: 8080, weight: 10 },
            { name: 'orders-v1', port: 8080, weight: 90 },
          ],
          timeouts: { request: '10s', backendRequest: '2s' },
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/legacy' } }],
          filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v1' } } }],
          backendRefs: [{ name: 'orders-v1', port: 8080 }],
        },
      ],
    },
  }
}

function grpcRoute(): Obj {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GRPCRoute',
    metadata: meta('payments'),
    spec: {
      parentRefs: [{ group: 'core', kind: 'Service', name: 'payments', port: 9090 }],
      rules: [
        {
          // Upper case passes only because the rule's RE2 pattern starts with (?i).
          matches: [{ method: { service: 'Shop.Payments.V1.Payments', method: 'Charge' } }],
          backendRefs: [{ name: 'payments-v1', port: 9090 }],
        },
      ],
    },
  }
}

function wasmPlugin(): Obj {
  return {
    apiVersion: 'extensions.istio.io/v1alpha1',
    kind: 'WasmPlugin',
    metadata: meta('auth-filter'),
    spec: {
      selector: { matchLabels: { app: 'orders' } },
      url: 'oci://ghcr.io/example/auth-filter:1.2.0',
      phase: 'AUTHN',
      // pluginConfig preserves unknown fields: anything goes below it.
      pluginConfig: { issuer: 'https://id.example.com', audiences: ['orders'], nested: { depth: 2 } },
    },
  }
}

function withSpec(obj: Obj, edit: (spec: any) => void): Obj {
  const copy = structuredClone(obj)
  edit(copy.spec)
  return copy
}

function expectIssue(issues: CrdIssue[], path: string, message: string | RegExp, rule?: RegExp): void {
  const matching = issues.filter(
    (i) =>
      i.path === path &&
      (typeof message === 'string' ? i.message.includes(message) : message.test(i.message)) &&
      (rule === undefined || (i.rule !== undefined && rule.test(i.rule))),
  )
  expect(matching, `no issue at ${path} matching ${String(message)} in ${JSON.stringify(issues, null, 2)}`).not.toEqual([])
}

describe('validateCustomResource: correct objects pass', () => {
  const cases: [string, () => Obj][] = [
    ['Istio AuthorizationPolicy', authorizationPolicy],
    ['Istio PeerAuthentication', peerAuthentication],
    ['Istio DestinationRule', destinationRule],
    ['Istio VirtualService', virtualService],
    ['Istio Sidecar', sidecar],
    ['Istio ServiceEntry (STATIC, endpoints incl. a UDS)', serviceEntry],
    ['Istio ServiceEntry (DNS)', dnsServiceEntry],
    ['Istio Gateway', gateway],
    ['Istio WasmPlugin', wasmPlugin],
    ['Linkerd Server', linkerdServer],
    ['Linkerd AuthorizationPolicy', linkerdAuthorizationPolicy],
    ['Linkerd MeshTLSAuthentication', meshTlsAuthentication],
    ['Linkerd NetworkAuthentication', networkAuthentication],
    ['Linkerd HTTPLocalRateLimitPolicy', rateLimitPolicy],
    ['Linkerd EgressNetwork', egressNetwork],
    ['Gateway API HTTPRoute', httpRoute],
    ['Gateway API GRPCRoute', grpcRoute],
  ]
  it.each(cases)('%s', (_, make) => {
    expect(validateCustomResource(make())).toEqual([])
  })

  it('accepts the other spellings meshc may emit', () => {
    expect(validateCustomResource(withSpec(linkerdServer(), (s) => (s.port = 8080)))).toEqual([])
    expect(
      validateCustomResource(
        withSpec(meshTlsAuthentication(), (s) => {
          delete s.identities
          s.identityRefs = [{ kind: 'ServiceAccount', name: 'frontend' }]
        }),
      ),
    ).toEqual([])
    expect(
      validateCustomResource(
        withSpec(virtualService(), (s) => s.http.push({ name: 'maintenance', directResponse: { status: 503, body: { bytes: 'ZG93bg==' } } })),
      ),
    ).toEqual([])
    // nullable: true fields take null.
    expect(
      validateCustomResource(withSpec(destinationRule(), (s) => (s.trafficPolicy.outlierDetection.consecutive5xxErrors = null))),
    ).toEqual([])
  })

  it('validates a served non-storage version against its own schema', () => {
    const v1beta1 = { ...authorizationPolicy(), apiVersion: 'security.istio.io/v1beta1' }
    expect(validateCustomResource(v1beta1)).toEqual([])
    expectIssue(validateCustomResource(v1beta1, { requireStorageVersion: true }), 'apiVersion', 'emit security.istio.io/v1')
    expect(validateCustomResource(authorizationPolicy(), { requireStorageVersion: true })).toEqual([])
  })

  it('does not modify the object it is given (defaults go into a copy)', () => {
    const route = httpRoute()
    const before = structuredClone(route)
    validateCustomResource(route)
    expect(route).toEqual(before)
  })
})

describe('validateCustomResource: structural schema, strictly', () => {
  it('rejects an unknown field', () => {
    const issues = validateCustomResource(withSpec(authorizationPolicy(), (s) => (s.rulez = s.rules)))
    expectIssue(issues, 'spec.rulez', 'unknown field "rulez"')
    expectIssue(issues, 'spec.rulez', /known fields: .*rules/)
  })

  it('rejects a nested unknown field', () => {
    const issues = validateCustomResource(
      withSpec(authorizationPolicy(), (s) => (s.rules[0].from[0].source.principal = ['cluster.local/ns/shop/sa/x'])),
    )
    expectIssue(issues, 'spec.rules[0].from[0].source.principal', 'unknown field "principal"')
  })

  it('rejects an unknown top-level field and a field on an object that declares none', () => {
    expectIssue(validateCustomResource({ ...authorizationPolicy(), data: {} }), 'data', 'unknown field "data"')
  })

  it('rejects a wrong type, and like the API server skips CEL rules then', () => {
    const issues = validateCustomResource(
      withSpec(destinationRule(), (s) => {
        s.trafficPolicy.connectionPool.tcp.maxConnections = '100'
        s.trafficPolicy.connectionPool.http.idleTimeout = '0.5ms' // would fail a CEL rule
      }),
    )
    expectIssue(issues, 'spec.trafficPolicy.connectionPool.tcp.maxConnections', 'must be integer, got string "100"')
    expectIssue(issues, '', 'some validation rules were not checked')
    expect(issues.filter((i) => i.rule !== undefined)).toEqual([])
  })

  it('rejects null where the schema is not nullable', () => {
    expectIssue(validateCustomResource(withSpec(authorizationPolicy(), (s) => (s.action = null))), 'spec.action', 'must not be null')
  })

  it('rejects an enum violation', () => {
    const issues = validateCustomResource(withSpec(authorizationPolicy(), (s) => (s.action = 'PERMIT')))
    expectIssue(issues, 'spec.action', 'must be one of "ALLOW", "DENY", "AUDIT", "CUSTOM"; got "PERMIT"')
  })

  it('rejects required fields, patterns, ranges and int32 formats', () => {
    expectIssue(validateCustomResource(withSpec(destinationRule(), (s) => delete s.host)), 'spec.host', 'required field "host" is missing')
    expectIssue(
      validateCustomResource(withSpec(linkerdAuthorizationPolicy(), (s) => (s.targetRef.kind = 'Server!'))),
      'spec.targetRef.kind',
      'must match pattern',
    )
    expectIssue(
      validateCustomResource(withSpec(httpRoute(), (s) => (s.rules[0].backendRefs[0].port = 70000))),
      'spec.rules[0].backendRefs[0].port',
      'must be <= 65535',
    )
    expectIssue(
      validateCustomResource(
        withSpec(virtualService(), (s) => s.http.push({ directResponse: { status: 503, body: { bytes: 'down!' } } })),
      ),
      'spec.http[2].directResponse.body.bytes',
      'must match format "byte"',
    )
    expectIssue(
      validateCustomResource(withSpec(destinationRule(), (s) => (s.trafficPolicy.connectionPool.tcp.maxConnections = 2 ** 31))),
      'spec.trafficPolicy.connectionPool.tcp.maxConnections',
      'must match format "int32"',
    )
  })

  it('rejects a value that is neither int nor string for x-kubernetes-int-or-string', () => {
    expectIssue(validateCustomResource(withSpec(linkerdServer(), (s) => (s.port = true))), 'spec.port', 'must be integer or string')
  })

  it('explains oneOf "at most one of" and "exactly one of" in field terms', () => {
    expectIssue(
      validateCustomResource(withSpec(virtualService(), (s) => (s.http[0].match[0].uri = { exact: '/orders', prefix: '/orders' }))),
      'spec.http[0].match[0].uri',
      'may set at most one of exact, prefix, regex (found: exact, prefix)',
    )
    expectIssue(
      validateCustomResource(withSpec(meshTlsAuthentication(), (s) => delete s.identities)),
      'spec',
      'must set exactly one of identities, identityRefs (found: none)',
    )
  })

  it('rejects duplicates in x-kubernetes-list-type map and set lists', () => {
    expectIssue(
      validateCustomResource(withSpec(serviceEntry(), (s) => s.ports.push({ number: 5433, name: 'tcp-postgres', protocol: 'TCP' }))),
      'spec.ports[2]',
      'duplicate entry for key {"name":"tcp-postgres"}',
    )
    expectIssue(
      validateCustomResource(
        withSpec(httpRoute(), (s) => (s.rules[0].filters[0].requestHeaderModifier.remove = ['x-a', 'x-a'])),
      ),
      'spec.rules[0].filters[0].requestHeaderModifier.remove[1]',
      'duplicate value "x-a"',
    )
  })
})

describe('validateCustomResource: metadata and kinds', () => {
  it('requires a DNS-1123 name and checks namespace, labels and annotations', () => {
    const bad = {
      ...authorizationPolicy(),
      metadata: { namespace: 'Shop', labels: { app: 'orders!', '/x': 'y' }, annotations: { a: 1 }, uid: 'abc' },
    }
    const issues = validateCustomResource(bad)
    expectIssue(issues, 'metadata.name', 'required field "name" is missing')
    expectIssue(issues, 'metadata.namespace', 'RFC 1123 label')
    expectIssue(issues, 'metadata.labels.app', 'invalid label value "orders!"')
    expectIssue(issues, 'metadata.labels["/x"]', 'prefix before "/" must not be empty')
    expectIssue(issues, 'metadata.annotations.a', 'must be a string')
    expectIssue(issues, 'metadata.uid', 'set by the API server')
    expectIssue(validateCustomResource({ ...authorizationPolicy(), metadata: { name: 'Orders_Allow' } }), 'metadata.name', 'RFC 1123 subdomain')
  })

  it('reports an unknown apiVersion or kind instead of passing', () => {
    expectIssue(
      validateCustomResource({ ...authorizationPolicy(), apiVersion: 'security.istio.io/v2' }),
      'apiVersion',
      'known: security.istio.io/v1 (storage), security.istio.io/v1beta1',
    )
    expectIssue(validateCustomResource({ ...authorizationPolicy(), kind: 'AuthzPolicy' }), 'kind', 'unknown kind "AuthzPolicy"')
    expectIssue(validateCustomResource({ kind: 'Server', metadata: { name: 'x' } }), 'apiVersion', 'missing')
  })

  it('lists the kinds it knows with their storage versions', () => {
    const kinds = knownKinds()
    expect(kinds).toContainEqual(
      expect.objectContaining({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', storage: true }),
    )
    expect(kinds).toContainEqual(expect.objectContaining({ apiVersion: 'policy.linkerd.io/v1beta3', kind: 'Server', storage: true }))
    expect(kinds).toContainEqual(expect.objectContaining({ apiVersion: 'policy.linkerd.io/v1beta1', kind: 'Server', storage: false }))
    expect(storageApiVersion('networking.istio.io', 'VirtualService')).toBe('networking.istio.io/v1')
    expect(storageApiVersion('gateway.networking.k8s.io', 'HTTPRoute')).toBe('gateway.networking.k8s.io/v1')
    expect(storageApiVersion('policy.linkerd.io', 'HTTPRoute')).toBe('policy.linkerd.io/v1beta3')
  })

  it('compiles every stored schema (all kinds, all versions) without throwing', () => {
    for (const k of knownKinds()) {
      const issues = validateCustomResource({ apiVersion: k.apiVersion, kind: k.kind, metadata: { name: 'x' }, spec: {} })
      expect(Array.isArray(issues), `${k.apiVersion} ${k.kind}`).toBe(true)
    }
  })
})

describe('validateCustomResource: CEL rules (x-kubernetes-validations)', () => {
  it('rejects an AuthorizationPolicy source mixing serviceAccounts with principals', () => {
    const issues = validateCustomResource(
      withSpec(authorizationPolicy(), (s) => (s.rules[1].from[0].source.principals = ['cluster.local/ns/shop/sa/x'])),
    )
    expectIssue(issues, 'spec.rules[1].from[0].source', 'Cannot set serviceAccounts with namespaces or principals', /serviceAccounts/)
    expect(issues).toHaveLength(1)
  })

  it('rejects a DestinationRule duration under 1ms (duration() with Go syntax)', () => {
    expectIssue(
      validateCustomResource(withSpec(destinationRule(), (s) => (s.trafficPolicy.connectionPool.http.idleTimeout = '500us'))),
      'spec.trafficPolicy.connectionPool.http.idleTimeout',
      'must be a valid duration greater than 1ms',
      /duration\(self\) >= duration\('1ms'\)/,
    )
  })

  it('rejects a bad PeerAuthentication port key (int() of a map key)', () => {
    expectIssue(
      validateCustomResource(withSpec(peerAuthentication(), (s) => (s.portLevelMtls = { '0': { mode: 'DISABLE' } }))),
      'spec.portLevelMtls',
      'port must be between 1-65535',
    )
    expectIssue(
      validateCustomResource(withSpec(peerAuthentication(), (s) => delete s.selector)),
      'spec',
      'portLevelMtls requires selector',
    )
  })

  it('rejects ServiceEntry rule violations on list items and map values', () => {
    const issues = validateCustomResource(
      withSpec(serviceEntry(), (s) => {
        s.hosts.push('*')
        s.endpoints[0].ports['tcp-postgres'] = 0
        s.endpoints[1].address = 'unix://var/run/pg.sock/'
      }),
    )
    expectIssue(issues, 'spec.hosts[1]', 'hostname cannot be wildcard')
    expectIssue(issues, 'spec.endpoints[0].ports["tcp-postgres"]', 'port must be between 1-65535')
    expectIssue(issues, 'spec.endpoints[1].address', 'UDS must be an absolute path or abstract socket')
    expectIssue(issues, 'spec.endpoints[1].address', 'UDS may not be a dir')
    expectIssue(
      validateCustomResource(withSpec(dnsServiceEntry(), (s) => s.ports.push({ number: 443, name: 'https', protocol: 'HTTPS' }))),
      'spec.ports',
      'port number cannot be duplicated',
    )
  })

  it('reports a rule that fails to evaluate, as the API server does', () => {
    // "unix://".substring(7, 8) is out of range: a runtime error, not a pass.
    const issues = validateCustomResource(withSpec(serviceEntry(), (s) => (s.endpoints[1].address = 'unix://')))
    expectIssue(issues, 'spec.endpoints[1].address', 'rule evaluation error', /substring/)
  })

  it('rejects Gateway API rule violations, after applying schema defaults', () => {
    expectIssue(
      validateCustomResource(withSpec(httpRoute(), (s) => (s.rules[0].matches[0].path.value = 'orders'))),
      'spec.rules[0].matches[0].path',
      'must be an absolute path',
    )
    // group and kind are absent, so only the CRD defaults (group "", kind Service) make the
    // rule require a port.
    expectIssue(
      validateCustomResource(withSpec(httpRoute(), (s) => delete s.rules[1].backendRefs[0].port)),
      'spec.rules[1].backendRefs[0]',
      'Must have port for Service reference',
    )
    expectIssue(
      validateCustomResource(withSpec(httpRoute(), (s) => (s.rules[1].matches = [{ path: { type: 'Exact', value: '/legacy' } }]))),
      'spec.rules[1]',
      'When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified',
    )
    expectIssue(
      validateCustomResource(withSpec(httpRoute(), (s) => (s.parentRefs[1].namespace = undefined))),
      'spec.parentRefs',
      'sectionName or port must be unique when parentRefs includes 2 or more references to the same parent',
    )
  })

  it('runs RE2 patterns from GRPCRoute rules', () => {
    expectIssue(
      validateCustomResource(withSpec(grpcRoute(), (s) => (s.rules[0].matches[0].method.service = 'shop payments'))),
      'spec.rules[0].matches[0].method',
      /./,
      /self\.service\.matches/,
    )
  })

  it('runs the URL library for WasmPlugin urls', () => {
    for (const url of ['https://example.com/filter.wasm', 'file:///opt/filter.wasm', 'ghcr.io/example/auth-filter:1']) {
      expect(validateCustomResource(withSpec(wasmPlugin(), (s) => (s.url = url))), url).toEqual([])
    }
    expectIssue(
      validateCustomResource(withSpec(wasmPlugin(), (s) => (s.url = 'ftp://example.com/filter.wasm'))),
      'spec.url',
      'url must have schema one of [http, https, file, oci]',
    )
  })
})

describe('validateAgainstSchema: rule features the stored CRDs do not use', () => {
  const schema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          replicas: { type: 'integer' },
          ratio: { type: 'number' },
          mode: { type: 'string' },
          config: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          window: { type: 'string', format: 'duration' },
          namespace: { type: 'string' },
          'max-surge': { type: 'integer' },
          not: { type: 'string' },
        },
        'x-kubernetes-validations': [
          { rule: 'type(self.replicas) == int', message: 'replicas must reach CEL as an int' },
          { rule: '!has(self.ratio) || type(self.ratio) == double', message: 'ratio must reach CEL as a double' },
          { rule: '!has(self.window) || self.window >= duration("1m")', message: 'window too short' },
          { rule: '!has(self.__namespace__) || self.__namespace__ != "default"', message: 'not default' },
          { rule: '!has(self.max__dash__surge) || self.max__dash__surge <= self.replicas', message: 'surge' },
          {
            rule: 'self.replicas <= 10',
            messageExpression: '"replicas is " + string(self.replicas) + ", max 10"',
            fieldPath: '.replicas',
            reason: 'FieldValueForbidden',
          },
          { rule: 'self.replicas == oldSelf.replicas', message: 'immutable' },
          {
            rule: 'oldSelf.hasValue() || !has(self.mode) || self.mode != "frozen"',
            optionalOldSelf: true,
            message: 'cannot create frozen',
          },
        ],
      },
    },
  }
  // Root rules see apiVersion, kind and metadata.name as the API server shows them.
  const rooted = { ...schema, 'x-kubernetes-validations': [{ rule: 'self.metadata.name.startsWith(self.kind.lowerAscii())', message: 'name' }] }
  const obj = (spec: Obj): Obj => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'widget-1' }, spec })

  it('runs root rules and reports errors under a property named like a keyword', () => {
    expect(validateAgainstSchema(rooted, obj({ replicas: 1 }))).toEqual([])
    expectIssue(validateAgainstSchema(rooted, { ...obj({ replicas: 1 }), metadata: { name: 'gadget' } }), '', 'name')
    expectIssue(validateAgainstSchema(schema, obj({ replicas: 1, not: 5 })), 'spec.not', 'must be string')
  })

  it('converts integers to int, numbers to double and format: duration to a duration; escapes names', () => {
    expect(
      validateAgainstSchema(schema, obj({ replicas: 3, ratio: 1, window: '5m', namespace: 'shop', 'max-surge': 1, config: { a: [1, { b: 2 }] } })),
    ).toEqual([])
    expectIssue(validateAgainstSchema(schema, obj({ replicas: 3, window: '30s' })), 'spec', 'window too short')
    expectIssue(validateAgainstSchema(schema, obj({ replicas: 3, namespace: 'default' })), 'spec', 'not default')
    expectIssue(validateAgainstSchema(schema, obj({ replicas: 3, 'max-surge': 4 })), 'spec', 'surge')
  })

  it('uses messageExpression, fieldPath and reason', () => {
    expect(validateAgainstSchema(schema, obj({ replicas: 12 }))).toEqual([
      { path: 'spec.replicas', message: 'replicas is 12, max 10', rule: 'self.replicas <= 10', reason: 'FieldValueForbidden' },
    ])
  })

  it('skips transition rules but runs optionalOldSelf rules with no old object', () => {
    expectIssue(validateAgainstSchema(schema, obj({ replicas: 1, mode: 'frozen' })), 'spec', 'cannot create frozen')
    expect(compileCelRule('self.replicas == oldSelf.replicas').usesOldSelf).toBe(true)
    expect(compileCelRule('self.oldSelf == 1').usesOldSelf).toBe(false)
  })

  it('fails loudly on a rule it cannot run instead of passing the object', () => {
    const withIp = {
      type: 'object',
      properties: { spec: { type: 'object', properties: { cidr: { type: 'string', 'x-kubernetes-validations': [{ rule: 'isCIDR(self)' }] } } } },
    }
    expect(() => validateAgainstSchema(withIp, obj({ cidr: '10.0.0.0/8' }))).toThrow(
      /isCIDR is a Kubernetes CEL library function the validator does not implement/,
    )
    expect(() => compileCelRule('self.matches("a(?i)b")')).toThrow(/scoped flags/)
  })
})

describe('every x-kubernetes-validations rule in test/schemas compiles', () => {
  const rules = listCelRules()
  const rawCount = (folder: string): number =>
    readdirSync(new URL(`../schemas/${folder}/`, import.meta.url))
      .filter((f) => f !== 'index.json')
      .map((f) => readFileSync(new URL(`../schemas/${folder}/${f}`, import.meta.url), 'utf8').split('"rule":').length - 1)
      .reduce((a, b) => a + b, 0)

  it('finds every rule in the files', () => {
    const istio = rules.filter((r) => r.source === 'istio').length
    const linkerd = rules.filter((r) => r.source === 'linkerd').length
    expect(istio).toBe(rawCount('istio'))
    expect(linkerd).toBe(rawCount('linkerd'))
    expect(istio).toBeGreaterThanOrEqual(345)
    expect(linkerd).toBeGreaterThan(0)
  })

  it('compiles all of them (parse, type-check, literal RE2 patterns)', () => {
    const failures = rules.flatMap((r) => {
      try {
        compileCelRule(r.rule)
        if (r.messageExpression) compileCelRule(r.messageExpression)
        return []
      } catch (e) {
        return [`${r.apiVersion} ${r.kind} ${r.schemaPath}: ${(e as Error).message}`]
      }
    })
    expect(failures).toEqual([])
  })
})

describe('Kubernetes CEL environment', () => {
  const run = (rule: string, self: unknown = null): unknown => compileCelRule(rule).evaluate(self)

  it('translates RE2 to JavaScript regular expressions', () => {
    expect(re2ToRegExp('^(?i)[a-z]+$').test('ABC')).toBe(true)
    expect(re2ToRegExp('(?i)^[a-z]+$').test('ABC')).toBe(true)
    expect(re2ToRegExp('^[a-z]+$').test('ABC')).toBe(false)
    expect(re2ToRegExp('\\Aab\\z').test('ab')).toBe(true)
    expect(re2ToRegExp('\\Aab\\z').test('ab\n')).toBe(false)
    expect(re2ToRegExp('^[[:alpha:]_]+$').test('ab_C')).toBe(true)
    expect(re2ToRegExp('^[]a]+$').test(']a')).toBe(true)
    expect(re2ToRegExp('^a.b$').test('a\rb')).toBe(true)
    expect(re2ToRegExp('^a.b$').test('a\nb')).toBe(false)
    expect(re2ToRegExp('^(?P<x>a)\\Q.*\\E$').test('a.*')).toBe(true)
    expect(re2ToRegExp('^\\s$').test('\v')).toBe(false)
    expect(() => re2ToRegExp('a(?i:b)')).toThrow(/scoped flags/)
    expect(() => re2ToRegExp('a(?=b)')).toThrow(/lookaround/)
    expect(() => re2ToRegExp('\\pL')).toThrow(/Unicode classes/)
    expect(run('self.matches("^(?i)abc$")', 'ABC')).toBe(true)
    expect(run('"x-Y".matches(r"""^[a-z]-(?:Y|Z)$""")')).toBe(true)
  })

  it("parses durations like Go's time.ParseDuration", () => {
    expect(parseGoDuration('0')).toBe(0n)
    expect(parseGoDuration('1h30m')).toBe(5_400_000_000_000n)
    expect(parseGoDuration('1.5s')).toBe(1_500_000_000n)
    expect(parseGoDuration('.5ms')).toBe(500_000n)
    expect(parseGoDuration('-2us')).toBe(-2_000n)
    for (const bad of ['', 's', '.s', '1', '1d', '1.5.s', '5 s']) expect(typeof parseGoDuration(bad), bad).toBe('string')
    expect(run("duration('0') < duration('1ns')")).toBe(true)
    expect(() => run("duration('.s')")).toThrow()
  })

  it('implements the Kubernetes URL library on Go ParseRequestURI', () => {
    expect(run('isURL(self)', 'https://example.com/x')).toBe(true)
    expect(run('isURL(self)', '/just/a/path')).toBe(true)
    expect(run('isURL(self)', 'example.com/x')).toBe(false)
    expect(run('isURL(self)', 'http://a b.com/')).toBe(false)
    expect(run('isURL(self)', 'http://host:port/')).toBe(false)
    expect(run('isURL(self)', 'http://host/%zz')).toBe(false)
    expect(run('isURL(self)', ':8080')).toBe(false)
    const u = 'HTTPS://user@[::1]:8443/a%20b/c d?x=1&x=2&y=%41'
    expect(run('url(self).getScheme()', u)).toBe('https')
    expect(run('url(self).getHost()', u)).toBe('[::1]:8443')
    expect(run('url(self).getHostname()', u)).toBe('::1')
    expect(run('url(self).getPort()', u)).toBe('8443')
    expect(run('url(self).getEscapedPath()', u)).toBe('/a%20b/c%20d')
    expect(run("url(self).getQuery()['x'] == ['1', '2'] && url(self).getQuery()['y'] == ['A']", u)).toBe(true)
    expect(() => run('url(self)', 'not a url')).toThrow(/URL parse error/)
  })

  it('escapes property names as Kubernetes does', () => {
    expect(escapeCelFieldName('namespace')).toBe('__namespace__')
    expect(escapeCelFieldName('a-b')).toBe('a__dash__b')
    expect(escapeCelFieldName('a__b')).toBe('a__underscores__b')
    expect(escapeCelFieldName('x.y/z')).toBe('x__dot__y__slash__z')
    expect(escapeCelFieldName('jwks_uri')).toBe('jwks_uri')
    expect(escapeCelFieldName('1a')).toBeUndefined()
    expect(escapeCelFieldName('a b')).toBeUndefined()
  })

  it('supports has() on an indexed operand, as the Gateway API rules use', () => {
    const self = new Map([['m', [new Map([['p', 'x']]), new Map()]]])
    expect(run('has(self.m[0].p)', self)).toBe(true)
    expect(run('has(self.m[1].p)', self)).toBe(false)
    expect(() => run('has(self.m[2].p)', self)).toThrow()
    expect(run('"has(self.m[0].p)" == "has(self.m[0].p)"')).toBe(true)
  })
})
