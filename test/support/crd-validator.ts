// Validates Istio, Linkerd and Gateway API objects against the upstream CRD schemas copied into
// test/schemas, the way the API server would on create, but strictly: a field the API server
// would prune silently is an error here, because then the policy that runs is not the one
// meshc wrote.
//
// As in the API server: the schema's defaults are applied first (they decide what the rules
// see, e.g. a Gateway API backendRef's `kind: Service`), then two passes:
// 1. Structural: each kind's openAPIV3Schema is rewritten into a plain JSON Schema for Ajv
//    (closed objects, int-or-string, nullable, formats, RE2 patterns) and compiled once.
// 2. `x-kubernetes-validations` CEL rules, evaluated on the object converted to CEL values by
//    its schema, in the environment from crd-validator-cel.ts. Like the API server, this pass
//    is skipped when pass 1 found a type error, since the conversion would be meaningless.
import { readFileSync } from 'node:fs'
import { Ajv, type ErrorObject, type FormatDefinition, type ValidateFunction } from 'ajv'
import {
  celErrorMessage,
  compileCelRule,
  parseStrfmtDuration,
  re2ToRegExp,
  strfmtDurationToCel,
} from './crd-validator-cel.js'

export { compileCelRule, UNSUPPORTED_KUBERNETES_CEL_FUNCTIONS } from './crd-validator-cel.js'

export interface CrdIssue {
  /** Where in the object, e.g. `spec.rules[0].from[0].source.principals`; `""` is the object itself. */
  path: string
  message: string
  /** The CEL rule that failed, for x-kubernetes-validations issues. */
  rule?: string
  /** The rule's `reason` (FieldValueInvalid, FieldValueForbidden, ...), when the schema gives one. */
  reason?: string
}

export interface KnownKind {
  apiVersion: string
  kind: string
  storage: boolean
  served: boolean
  deprecated: boolean
  /** Which folder of test/schemas the schema comes from. */
  source: SchemaSource
}

export interface ValidateOptions {
  /**
   * Also report an apiVersion that is served but is not the kind's storage version (or is
   * deprecated): meshc should emit the version the cluster stores.
   */
  requireStorageVersion?: boolean
}

export interface CelRuleRef {
  apiVersion: string
  kind: string
  source: SchemaSource
  /** The schema node carrying the rule, as a path of property names (`[]` = list item, `{}` = map value). */
  schemaPath: string
  rule: string
  message?: string
  messageExpression?: string
}

type SchemaSource = 'istio' | 'linkerd'
const SOURCES: readonly SchemaSource[] = ['istio', 'linkerd']
const SCHEMA_DIR = new URL('../schemas/', import.meta.url)

interface ValidationRule {
  rule: string
  message?: string
  messageExpression?: string
  fieldPath?: string
  reason?: string
  optionalOldSelf?: boolean
}

interface SchemaNode {
  type?: string
  format?: string
  nullable?: boolean
  enum?: unknown[]
  required?: string[]
  properties?: Record<string, SchemaNode>
  items?: SchemaNode
  additionalProperties?: SchemaNode | boolean
  oneOf?: SchemaNode[]
  anyOf?: SchemaNode[]
  allOf?: SchemaNode[]
  not?: SchemaNode
  'x-kubernetes-preserve-unknown-fields'?: boolean
  'x-kubernetes-int-or-string'?: boolean
  'x-kubernetes-validations'?: ValidationRule[]
  'x-kubernetes-list-type'?: string
  'x-kubernetes-list-map-keys'?: string[]
  default?: unknown
  [keyword: string]: unknown
}

interface IndexEntry {
  file: string
  apiVersion: string
  kind: string
  served: boolean
  storage: boolean
  deprecated: boolean
}

interface CatalogEntry extends KnownKind {
  file: URL
}

// ---------------------------------------------------------------------------------------------
// Catalog

let catalog: Map<string, CatalogEntry> | undefined

function catalogKey(apiVersion: string, kind: string): string {
  return `${apiVersion}|${kind}`
}

function loadCatalog(): Map<string, CatalogEntry> {
  if (catalog) return catalog
  const entries = new Map<string, CatalogEntry>()
  for (const source of SOURCES) {
    const dir = new URL(`${source}/`, SCHEMA_DIR)
    const index = JSON.parse(readFileSync(new URL('index.json', dir), 'utf8')) as IndexEntry[]
    for (const e of index) {
      const key = catalogKey(e.apiVersion, e.kind)
      if (entries.has(key)) throw new Error(`test/schemas: ${e.apiVersion} ${e.kind} is in more than one index.json`)
      entries.set(key, {
        apiVersion: e.apiVersion,
        kind: e.kind,
        storage: e.storage,
        served: e.served,
        deprecated: e.deprecated,
        source,
        file: new URL(e.file, dir),
      })
    }
  }
  catalog = entries
  return entries
}

function publicKind(e: CatalogEntry): KnownKind {
  return {
    apiVersion: e.apiVersion,
    kind: e.kind,
    storage: e.storage,
    served: e.served,
    deprecated: e.deprecated,
    source: e.source,
  }
}

/** Every apiVersion/kind the validator has a schema for. */
export function knownKinds(): KnownKind[] {
  return [...loadCatalog().values()].map(publicKind)
}

/** The apiVersion (`group/version`) the API server stores `kind` of `group` as, if known. */
export function storageApiVersion(group: string, kind: string): string | undefined {
  return [...loadCatalog().values()].find((e) => e.kind === kind && groupOf(e.apiVersion) === group && e.storage)
    ?.apiVersion
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/')
  return slash < 0 ? '' : apiVersion.slice(0, slash)
}

const schemaCache = new Map<string, SchemaNode>()

function loadSchema(entry: CatalogEntry): SchemaNode {
  const key = catalogKey(entry.apiVersion, entry.kind)
  let schema = schemaCache.get(key)
  if (!schema) {
    const file = JSON.parse(readFileSync(entry.file, 'utf8')) as { openAPIV3Schema: SchemaNode }
    schema = file.openAPIV3Schema
    schemaCache.set(key, schema)
  }
  return schema
}

// ---------------------------------------------------------------------------------------------
// Paths

type Segment = string | number

function formatPath(segments: readonly Segment[]): string {
  let out = ''
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`
    else if (/^[A-Za-z_$][\w$]*$/.test(s)) out += out === '' ? s : `.${s}`
    else out += `[${JSON.stringify(s)}]`
  }
  return out
}

/** A JSON pointer into `root` as segments, with list indexes as numbers. */
function pointerSegments(root: unknown, pointer: string): Segment[] {
  if (pointer === '') return []
  const segments: Segment[] = []
  let current: unknown = root
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (Array.isArray(current)) {
      segments.push(Number(key))
      current = current[Number(key)]
    } else {
      segments.push(key)
      current = isPlainObject(current) ? current[key] : undefined
    }
  }
  return segments
}

/** A rule's `fieldPath` (`.a.b`, `['key']`, `[0]`), relative to the rule's node. */
function fieldPathSegments(fieldPath: string): Segment[] {
  const re = /\.([A-Za-z_][\w-]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]/gy
  const segments: Segment[] = []
  let end = 0
  for (const m of fieldPath.matchAll(re)) {
    if (m[1] !== undefined) segments.push(m[1])
    else if (m[2] !== undefined) segments.push(m[2].replace(/\\(.)/g, '$1'))
    else segments.push(Number(m[3]))
    end = m.index + m[0].length
  }
  if (end !== fieldPath.length) throw new Error(`cannot parse x-kubernetes-validations fieldPath ${JSON.stringify(fieldPath)}`)
  return segments
}

// ---------------------------------------------------------------------------------------------
// Pass 1: structural schema through Ajv

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
// kube-openapi's strfmt accepts RFC 3339 and several reduced ISO 8601 forms for date-time.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?$/

function validDate(y: string, m: string, d: string): boolean {
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)))
  return date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d)
}

function isDateTime(s: string): boolean {
  const m = DATE_TIME.exec(s)
  if (!m) return false
  const [, y = '', mo = '', d = '', h = '', mi = '', sec = '0'] = m
  return validDate(y, mo, d) && Number(h) < 24 && Number(mi) < 60 && Number(sec) < 61
}

const INT32 = 2 ** 31
/**
 * The formats the API server enforces on these CRDs. Any other format in a schema is dropped
 * before compiling (the API server ignores formats it does not know).
 */
const FORMATS: Record<string, FormatDefinition<number> | FormatDefinition<string>> = {
  int32: { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -INT32 && n < INT32 },
  int64: { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) <= 2 ** 63 },
  uint32: { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 && n < 2 ** 32 },
  uint64: { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 && n <= 2 ** 64 },
  float: { type: 'number', validate: (n: number) => Number.isFinite(n) && Math.abs(n) <= 3.4028234663852886e38 },
  double: { type: 'number', validate: (n: number) => Number.isFinite(n) },
  // Go's base64.StdEncoding: padded, standard alphabet.
  byte: { type: 'string', validate: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/ },
  date: {
    type: 'string',
    validate: (s: string) => {
      const m = DATE.exec(s)
      return m !== null && validDate(m[1] ?? '', m[2] ?? '', m[3] ?? '')
    },
  },
  'date-time': { type: 'string', validate: isDateTime },
  duration: { type: 'string', validate: (s: string) => parseStrfmtDuration(s) !== undefined },
}

const VALUE_KEYWORDS = [
  'enum',
  'pattern',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minProperties',
  'maxProperties',
  'required',
] as const

function isIntOrStringAnyOf(branches: SchemaNode[] | undefined): boolean {
  return (
    branches?.length === 2 &&
    branches.some((b) => b.type === 'integer' && Object.keys(b).length === 1) &&
    branches.some((b) => b.type === 'string' && Object.keys(b).length === 1)
  )
}

/**
 * A structural schema node as plain JSON Schema. `spine` is false below oneOf/anyOf/allOf/not:
 * those branches only add value validations (typically `required`) to the node they hang
 * from, so they must not be closed or typed.
 */
function toAjvSchema(node: SchemaNode, spine: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k of VALUE_KEYWORDS) if (node[k] !== undefined) out[k] = node[k]
  if (typeof node.format === 'string' && node.format in FORMATS) out.format = node.format
  const intOrString = node['x-kubernetes-int-or-string'] === true
  const preserveUnknown = node['x-kubernetes-preserve-unknown-fields'] === true
  const types = intOrString ? ['integer', 'string'] : typeof node.type === 'string' ? [node.type] : []
  if (spine && node.nullable === true && types.length > 0) {
    types.push('null')
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null]
  }
  if (types.length > 0) out.type = types.length === 1 ? types[0] : types
  if (node.properties) {
    out.properties = Object.fromEntries(
      Object.entries(node.properties).map(([k, v]) => [k, toAjvSchema(v, spine)]),
    )
  }
  if (node.items) out.items = toAjvSchema(node.items, spine)
  if (typeof node.additionalProperties === 'object') {
    out.additionalProperties = toAjvSchema(node.additionalProperties, spine)
  } else if (typeof node.additionalProperties === 'boolean') {
    out.additionalProperties = node.additionalProperties
  } else if (spine && !preserveUnknown && (node.type === 'object' || node.properties)) {
    // The API server prunes fields a structural schema does not declare (an object with
    // neither properties nor additionalProperties keeps nothing). Strictly, that is an error.
    out.additionalProperties = false
  }
  for (const junctor of ['oneOf', 'anyOf', 'allOf'] as const) {
    const branches = node[junctor]
    if (!branches) continue
    if (junctor === 'anyOf' && intOrString && isIntOrStringAnyOf(branches)) continue
    out[junctor] = branches.map((b) => toAjvSchema(b, false))
  }
  if (node.not) out.not = toAjvSchema(node.not, false)
  return out
}

function rootAjvSchema(schema: SchemaNode): Record<string, unknown> {
  const out = toAjvSchema(schema, true)
  // apiVersion, kind and metadata are always kept at the root whatever the schema says
  // (Istio's schemas do not declare them); metadata is checked by validateMetadata.
  out.properties = {
    ...(out.properties as Record<string, unknown> | undefined),
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object', additionalProperties: true },
  }
  return out
}

// Ajv's `pattern` must follow Go's regexp, as the API server's does.
const re2Engine = Object.assign((pattern: string) => re2ToRegExp(pattern), { code: 'crdValidatorRe2ToRegExp' })

let ajvInstance: Ajv | undefined
function ajv(): Ajv {
  ajvInstance ??= new Ajv({
    strict: false,
    allErrors: true,
    verbose: true,
    allowUnionTypes: true,
    formats: FORMATS,
    code: { regExp: re2Engine },
  })
  return ajvInstance
}

const validators = new WeakMap<SchemaNode, ValidateFunction>()

function structuralValidator(schema: SchemaNode): ValidateFunction {
  let v = validators.get(schema)
  if (!v) {
    v = ajv().compile(rootAjvSchema(schema))
    validators.set(schema, v)
  }
  return v
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

function requiredOnly(branch: unknown): string[] | undefined {
  if (!isPlainObject(branch)) return undefined
  const keys = Object.keys(branch)
  if (keys.length !== 1 || !Array.isArray(branch.required)) return undefined
  return branch.required as string[]
}

// `not: {anyOf: [{required: [a]}, {required: [b]}]}`, i.e. none of a, b.
function noneOf(branch: unknown): string[][] | undefined {
  if (!isPlainObject(branch) || Object.keys(branch).length !== 1 || !isPlainObject(branch.not)) return undefined
  const inner = branch.not
  const single = requiredOnly(inner)
  if (single) return [single]
  if (Object.keys(inner).length !== 1 || !Array.isArray(inner.anyOf)) return undefined
  const sets = inner.anyOf.map(requiredOnly)
  return sets.every((s): s is string[] => s !== undefined) ? sets : undefined
}

function describeFieldSets(sets: string[][]): string {
  return sets.map((s) => s.join(' + ')).join(', ')
}

function presentFields(data: unknown, sets: string[][]): string {
  const present = [...new Set(sets.flat())].filter((f) => isPlainObject(data) && data[f] !== undefined)
  return present.length === 0 ? 'none' : present.join(', ')
}

// Istio and Linkerd spell "exactly one of" / "at most one of" as oneOf/anyOf/not over
// `required`; say that instead of Ajv's "must match exactly one schema in oneOf".
function junctorMessage(e: ErrorObject): string | undefined {
  const schema: unknown = e.schema
  if (e.keyword === 'not') {
    const sets = noneOf({ not: schema })
    return sets ? `must not set any of ${describeFieldSets(sets)} (found: ${presentFields(e.data, sets)})` : undefined
  }
  if (!Array.isArray(schema)) return undefined
  const requiredSets: string[][] = []
  let allowNone = false
  for (const branch of schema) {
    const req = requiredOnly(branch)
    if (req) {
      requiredSets.push(req)
      continue
    }
    const none = noneOf(branch)
    if (!none) return undefined
    allowNone = true
  }
  const fields = describeFieldSets(requiredSets)
  const found = presentFields(e.data, requiredSets)
  if (e.keyword === 'anyOf') return `must set at least one of ${fields} (found: ${found})`
  return allowNone
    ? `may set at most one of ${fields} (found: ${found})`
    : `must set exactly one of ${fields} (found: ${found})`
}

function ajvIssue(root: unknown, e: ErrorObject): CrdIssue {
  const segments = pointerSegments(root, e.instancePath)
  const params = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'additionalProperties': {
      const field = String(params.additionalProperty)
      const parent = e.parentSchema as { properties?: Record<string, unknown> } | undefined
      const known = Object.keys(parent?.properties ?? {})
      return {
        path: formatPath([...segments, field]),
        message:
          `unknown field ${JSON.stringify(field)} (the API server would drop it)` +
          (known.length > 0 ? `; known fields: ${known.join(', ')}` : '; this object takes no fields'),
      }
    }
    case 'required':
      return {
        path: formatPath([...segments, String(params.missingProperty)]),
        message: `required field ${JSON.stringify(params.missingProperty)} is missing`,
      }
    case 'type':
      return {
        path: formatPath(segments),
        message:
          e.data === null
            ? `must not be null (the field is not nullable; the API server would drop it)`
            : `must be ${String(params.type).split(',').join(' or ')}, got ${jsonType(e.data)} ${preview(e.data)}`,
      }
    case 'enum':
      return {
        path: formatPath(segments),
        message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}; got ${preview(e.data)}`,
      }
    case 'oneOf':
    case 'anyOf':
    case 'not':
      return { path: formatPath(segments), message: junctorMessage(e) ?? e.message ?? e.keyword }
    default:
      return { path: formatPath(segments), message: `${e.message ?? e.keyword}; got ${preview(e.data)}` }
  }
}

// Errors inside a oneOf/anyOf/not branch only explain why that branch did not match; the
// junctor's own error says what is wrong.
function insideJunctorBranch(schemaPath: string): boolean {
  const segments = schemaPath.split('/').slice(1)
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]
    // The segment after `properties` is a field name, which may well be "not".
    if (s === 'properties') i++
    else if ((s === 'oneOf' || s === 'anyOf') && i + 2 < segments.length) return true
    else if (s === 'not' && i + 1 < segments.length) return true
  }
  return false
}

// ---------------------------------------------------------------------------------------------
// metadata (the API server validates ObjectMeta itself, not through the CRD schema)

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
const CLIENT_METADATA = new Set(['name', 'generateName', 'namespace', 'labels', 'annotations', 'finalizers', 'ownerReferences'])
const SERVER_METADATA = new Set([
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
])
const OWNER_REFERENCE_FIELDS: Record<string, 'string' | 'boolean'> = {
  apiVersion: 'string',
  kind: 'string',
  name: 'string',
  uid: 'string',
  controller: 'boolean',
  blockOwnerDeletion: 'boolean',
}

function subdomainProblem(s: string): string | undefined {
  if (s.length > 253) return 'must be no more than 253 characters'
  if (!DNS1123_SUBDOMAIN.test(s)) {
    return "must be a lowercase RFC 1123 subdomain: lowercase alphanumerics, '-' or '.', starting and ending with an alphanumeric"
  }
  return undefined
}

function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/')
  if (parts.length > 2) return 'a qualified name has at most one "/"'
  const name = parts[parts.length - 1] ?? ''
  if (parts.length === 2) {
    const prefix = parts[0] ?? ''
    if (prefix === '') return 'the prefix before "/" must not be empty'
    const p = subdomainProblem(prefix)
    if (p) return `prefix ${p}`
  }
  if (name.length === 0 || name.length > 63) return 'the name part must be 1-63 characters'
  if (!QUALIFIED_NAME_PART.test(name)) {
    return "the name part must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"
  }
  return undefined
}

function validateStringMap(
  value: unknown,
  at: Segment[],
  issues: CrdIssue[],
  checkValue: (v: string) => string | undefined,
): void {
  if (!isPlainObject(value)) {
    issues.push({ path: formatPath(at), message: `must be a map of strings, got ${jsonType(value)}` })
    return
  }
  for (const [k, v] of Object.entries(value)) {
    const keyProblem = qualifiedNameProblem(k)
    if (keyProblem) issues.push({ path: formatPath([...at, k]), message: `invalid key: ${keyProblem}` })
    if (typeof v !== 'string') {
      issues.push({ path: formatPath([...at, k]), message: `must be a string, got ${jsonType(v)} ${preview(v)}` })
      continue
    }
    const valueProblem = checkValue(v)
    if (valueProblem) issues.push({ path: formatPath([...at, k]), message: valueProblem })
  }
}

function validateMetadata(metadata: unknown, issues: CrdIssue[]): void {
  if (!isPlainObject(metadata)) {
    issues.push({ path: 'metadata', message: metadata === undefined ? 'required field "metadata" is missing' : 'must be an object' })
    return
  }
  for (const [field, value] of Object.entries(metadata)) {
    const at: Segment[] = ['metadata', field]
    if (SERVER_METADATA.has(field)) {
      issues.push({ path: formatPath(at), message: `is set by the API server and must not be in a manifest` })
      continue
    }
    if (!CLIENT_METADATA.has(field)) {
      issues.push({ path: formatPath(at), message: `unknown field ${JSON.stringify(field)} in ObjectMeta` })
      continue
    }
    switch (field) {
      case 'name':
      case 'generateName': {
        if (typeof value !== 'string') {
          issues.push({ path: formatPath(at), message: `must be a string, got ${jsonType(value)}` })
          break
        }
        const problem = field === 'name' ? subdomainProblem(value) : undefined
        if (problem) issues.push({ path: formatPath(at), message: `${preview(value)} ${problem}` })
        break
      }
      case 'namespace':
        if (typeof value !== 'string') {
          issues.push({ path: formatPath(at), message: `must be a string, got ${jsonType(value)}` })
        } else if (value.length > 63 || !DNS1123_LABEL.test(value)) {
          issues.push({
            path: formatPath(at),
            message: `${preview(value)} must be a lowercase RFC 1123 label: at most 63 lowercase alphanumerics or '-', starting and ending with an alphanumeric`,
          })
        }
        break
      case 'labels':
        validateStringMap(value, at, issues, (v) =>
          v === '' || (v.length <= 63 && QUALIFIED_NAME_PART.test(v))
            ? undefined
            : `invalid label value ${preview(v)}: at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`,
        )
        break
      case 'annotations': {
        validateStringMap(value, at, issues, () => undefined)
        if (isPlainObject(value)) {
          const size = Object.entries(value).reduce((n, [k, v]) => n + k.length + (typeof v === 'string' ? v.length : 0), 0)
          if (size > 256 * 1024) issues.push({ path: formatPath(at), message: `total size ${size} exceeds 262144 bytes` })
        }
        break
      }
      case 'finalizers':
        if (!Array.isArray(value)) {
          issues.push({ path: formatPath(at), message: `must be a list of strings, got ${jsonType(value)}` })
          break
        }
        value.forEach((f, i) => {
          const problem = typeof f === 'string' ? qualifiedNameProblem(f) : `must be a string, got ${jsonType(f)}`
          if (problem) issues.push({ path: formatPath([...at, i]), message: problem })
        })
        break
      case 'ownerReferences':
        if (!Array.isArray(value)) {
          issues.push({ path: formatPath(at), message: `must be a list, got ${jsonType(value)}` })
          break
        }
        value.forEach((ref, i) => {
          if (!isPlainObject(ref)) {
            issues.push({ path: formatPath([...at, i]), message: `must be an object, got ${jsonType(ref)}` })
            return
          }
          for (const required of ['apiVersion', 'kind', 'name', 'uid']) {
            if (ref[required] === undefined) {
              issues.push({ path: formatPath([...at, i, required]), message: `required field "${required}" is missing` })
            }
          }
          for (const [k, v] of Object.entries(ref)) {
            const type = OWNER_REFERENCE_FIELDS[k]
            if (!type) issues.push({ path: formatPath([...at, i, k]), message: `unknown field ${JSON.stringify(k)} in OwnerReference` })
            else if (typeof v !== type) issues.push({ path: formatPath([...at, i, k]), message: `must be a ${type}, got ${jsonType(v)}` })
          }
        })
        break
    }
  }
  if (metadata.name === undefined) issues.push({ path: 'metadata.name', message: 'required field "name" is missing' })
}

// ---------------------------------------------------------------------------------------------
// Pass 2: list-type invariants and CEL rules, walking object and schema together

// Kubernetes' CEL property-name escaping (k8s.io/apiserver/pkg/cel/escaping.go): a schema
// property `namespace` is `self.__namespace__` in a rule.
const CEL_RESERVED = new Set([
  'true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if',
  'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while',
])

export function escapeCelFieldName(name: string): string | undefined {
  if (name === '' || /^[0-9]/.test(name)) return undefined
  if (CEL_RESERVED.has(name)) return `__${name}__`
  let ok = true
  const escaped = name.replace(/__|[-./]|[^a-zA-Z0-9\-./_]/g, (s) => {
    switch (s) {
      case '__':
        return '__underscores__'
      case '.':
        return '__dot__'
      case '-':
        return '__dash__'
      case '/':
        return '__slash__'
      default:
        ok = false
        return ''
    }
  })
  return ok ? escaped : undefined
}

/** A schemaless JSON value as CEL sees it: integral numbers are ints, objects are maps. */
function toDynCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value
  if (Array.isArray(value)) return value.map(toDynCel)
  if (isPlainObject(value)) return new Map(Object.entries(value).map(([k, v]) => [k, toDynCel(v)]))
  return value
}

function stringToCel(node: SchemaNode, value: string): unknown {
  switch (node.format) {
    case 'byte':
      return new Uint8Array(Buffer.from(value, 'base64'))
    case 'date':
    case 'date-time': {
      const t = Date.parse(/[Zz]|[+-]\d{2}:?\d{2}$/.test(value) ? value : `${value}Z`)
      return Number.isNaN(t) ? value : new Date(t)
    }
    case 'duration':
      return strfmtDurationToCel(value) ?? value
    default:
      return value
  }
}

interface WalkContext {
  issues: CrdIssue[]
  runCel: boolean
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

// The API server rejects duplicates in `set` lists and duplicate keys in `map` lists.
function checkListType(node: SchemaNode, list: unknown[], at: Segment[], ctx: WalkContext): void {
  const listType = node['x-kubernetes-list-type']
  if (listType !== 'set' && listType !== 'map') return
  const keys = node['x-kubernetes-list-map-keys'] ?? []
  const seen = new Map<string, number>()
  list.forEach((item, i) => {
    const identity =
      listType === 'set'
        ? canonicalJson(item)
        : canonicalJson(Object.fromEntries(keys.map((k) => [k, isPlainObject(item) ? item[k] ?? null : null])))
    const first = seen.get(identity)
    if (first === undefined) {
      seen.set(identity, i)
      return
    }
    ctx.issues.push({
      path: formatPath([...at, i]),
      message:
        listType === 'set'
          ? `duplicate value ${preview(item)} (same as [${first}]; the list is a set)`
          : `duplicate entry for key ${identity} (same as [${first}]; the list is a map keyed by ${keys.join(', ')})`,
    })
  })
}

function evaluateRules(node: SchemaNode, self: unknown, at: Segment[], ctx: WalkContext): void {
  for (const r of node['x-kubernetes-validations'] ?? []) {
    // Compile errors throw: a rule the validator cannot run must not pass silently.
    const program = compileCelRule(r.rule)
    // A transition rule compares with the stored object; on create there is none, and the API
    // server only runs it if it opts in with optionalOldSelf (oldSelf is then an empty optional).
    if (program.usesOldSelf && r.optionalOldSelf !== true) continue
    const target = r.fieldPath ? formatPath([...at, ...fieldPathSegments(r.fieldPath)]) : formatPath(at)
    let result: unknown
    try {
      result = program.evaluate(self)
    } catch (e) {
      ctx.issues.push({ path: target, message: `rule evaluation error: ${celErrorMessage(e)}`, rule: r.rule })
      continue
    }
    if (result === true) continue
    const issue: CrdIssue = {
      path: target,
      message: result === false ? ruleMessage(r, self) : `rule did not evaluate to a bool (got ${typeof result})`,
      rule: r.rule,
    }
    if (r.reason) issue.reason = r.reason
    ctx.issues.push(issue)
  }
}

function ruleMessage(r: ValidationRule, self: unknown): string {
  if (r.messageExpression) {
    // As in the API server, a messageExpression that fails or yields no usable string falls
    // back to `message`.
    try {
      const text = compileCelRule(r.messageExpression).evaluate(self)
      if (typeof text === 'string' && text.trim() !== '' && !text.includes('\n')) return text
    } catch {
      // fall through to the static message
    }
  }
  return r.message ?? `failed rule: ${r.rule}`
}

const MISMATCH = Symbol('type mismatch')

/** Converts `value` to its CEL form by `node`, running the rules on the way; undefined if absent. */
function walk(node: SchemaNode, value: unknown, at: Segment[], ctx: WalkContext): unknown {
  if (value === undefined) return undefined
  // The API server does not run rules on null values.
  if (value === null) return null
  const cel = convert(node, value, at, ctx)
  if (cel !== MISMATCH && ctx.runCel) evaluateRules(node, cel, at, ctx)
  return cel === MISMATCH ? undefined : cel
}

function convert(node: SchemaNode, value: unknown, at: Segment[], ctx: WalkContext): unknown {
  if (node['x-kubernetes-int-or-string'] === true) {
    if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value)
    return typeof value === 'string' ? value : MISMATCH
  }
  switch (node.type) {
    case 'object': {
      if (!isPlainObject(value)) return MISMATCH
      const out = new Map<string, unknown>()
      const extra = node.additionalProperties
      for (const [k, v] of Object.entries(value)) {
        const prop = node.properties?.[k]
        if (prop) {
          const name = escapeCelFieldName(k)
          const child = walk(prop, v, [...at, k], ctx)
          if (name !== undefined && child !== undefined) out.set(name, child)
        } else if (typeof extra === 'object') {
          const child = walk(extra, v, [...at, k], ctx)
          if (child !== undefined) out.set(k, child)
        } else if (extra === true || node['x-kubernetes-preserve-unknown-fields'] === true) {
          out.set(k, toDynCel(v))
        }
        // Anything else is pruned by the API server (and reported by pass 1).
      }
      return out
    }
    case 'array': {
      if (!Array.isArray(value)) return MISMATCH
      checkListType(node, value, at, ctx)
      const items = node.items
      return value.map((item, i) => (items ? walk(items, item, [...at, i], ctx) : toDynCel(item)))
    }
    case 'string':
      return typeof value === 'string' ? stringToCel(node, value) : MISMATCH
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : MISMATCH
    case 'number':
      return typeof value === 'number' ? value : MISMATCH
    case 'boolean':
      return typeof value === 'boolean' ? value : MISMATCH
    default:
      return toDynCel(value)
  }
}

// What a rule at the root sees: apiVersion, kind, and only name and generateName of metadata.
function rootWalkSchema(schema: SchemaNode): SchemaNode {
  return {
    ...schema,
    properties: {
      ...schema.properties,
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object', properties: { name: { type: 'string' }, generateName: { type: 'string' } } },
    },
  }
}

// The API server's structural defaulting: an absent property with a default gets it, then
// defaulting continues inside. A null is left alone so that pass 1 reports it (the API server
// would prune a null from a non-nullable field before defaulting; strictly, that is an error).
function applyDefaults(node: SchemaNode, value: unknown): void {
  if (Array.isArray(value)) {
    const items = node.items
    if (items) for (const item of value) applyDefaults(items, item)
    return
  }
  if (!isPlainObject(value)) return
  for (const [k, prop] of Object.entries(node.properties ?? {})) {
    if (prop.default !== undefined && value[k] === undefined) value[k] = structuredClone(prop.default)
  }
  for (const [k, v] of Object.entries(value)) {
    const prop = node.properties?.[k]
    if (prop) applyDefaults(prop, v)
    else if (typeof node.additionalProperties === 'object') applyDefaults(node.additionalProperties, v)
  }
}

// ---------------------------------------------------------------------------------------------
// Entry points

/**
 * Validates one Istio / Linkerd / Gateway API object as the API server would on create, strictly
 * (see the file comment). Returns no issues when the object is valid.
 */
export function validateCustomResource(obj: unknown, options: ValidateOptions = {}): CrdIssue[] {
  if (!isPlainObject(obj)) return [{ path: '', message: `must be an object, got ${jsonType(obj)}` }]
  const { apiVersion, kind } = obj
  const versionIssues: CrdIssue[] = []
  if (typeof apiVersion !== 'string' || apiVersion === '') {
    versionIssues.push({ path: 'apiVersion', message: 'required field "apiVersion" is missing or not a string' })
  }
  if (typeof kind !== 'string' || kind === '') {
    versionIssues.push({ path: 'kind', message: 'required field "kind" is missing or not a string' })
  }
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || versionIssues.length > 0) {
    validateMetadata(obj.metadata, versionIssues)
    return versionIssues
  }

  const entries = loadCatalog()
  const entry = entries.get(catalogKey(apiVersion, kind))
  if (!entry) {
    const group = groupOf(apiVersion)
    const versions = [...entries.values()].filter((e) => e.kind === kind && groupOf(e.apiVersion) === group)
    const sameKind = [...entries.values()].filter((e) => e.kind === kind)
    if (versions.length > 0) {
      const listed = versions.map((e) => e.apiVersion + (e.storage ? ' (storage)' : '')).join(', ')
      versionIssues.push({ path: 'apiVersion', message: `${kind} has no version ${JSON.stringify(apiVersion)}; known: ${listed}` })
    } else if (sameKind.length > 0) {
      const listed = sameKind.map((e) => e.apiVersion).join(', ')
      versionIssues.push({ path: 'apiVersion', message: `no ${kind} in ${JSON.stringify(apiVersion)}; ${kind} is known in: ${listed}` })
    } else {
      versionIssues.push({ path: 'kind', message: `unknown kind ${JSON.stringify(kind)} (${apiVersion}): no CRD schema for it in test/schemas` })
    }
    validateMetadata(obj.metadata, versionIssues)
    return versionIssues
  }
  if (!entry.served) versionIssues.push({ path: 'apiVersion', message: `${apiVersion} ${kind} is not served by the CRD` })
  if (options.requireStorageVersion && (!entry.storage || entry.deprecated)) {
    const storage = storageApiVersion(groupOf(apiVersion), kind)
    versionIssues.push({
      path: 'apiVersion',
      message: `${apiVersion} is ${entry.deprecated ? 'deprecated' : 'not the storage version'} for ${kind}; emit ${storage ?? 'the storage version'}`,
    })
  }
  return [...versionIssues, ...validateAgainstSchema(loadSchema(entry), obj)]
}

/**
 * Validates `obj` against one CRD version's `openAPIV3Schema` (plus ObjectMeta), as
 * validateCustomResource does once it has picked the schema. The schema object is compiled
 * once per identity, so pass the same object each time.
 */
export function validateAgainstSchema(openAPIV3Schema: object, input: unknown): CrdIssue[] {
  if (!isPlainObject(input)) return [{ path: '', message: `must be an object, got ${jsonType(input)}` }]
  const schema = openAPIV3Schema as SchemaNode
  const issues: CrdIssue[] = []
  // What reaches the API server is the serialized object (undefined properties vanish), and
  // defaulting must not touch the caller's object.
  const obj = JSON.parse(JSON.stringify(input)) as Record<string, unknown>
  validateMetadata(obj.metadata, issues)
  applyDefaults(schema, obj)
  const validate = structuralValidator(schema)
  let blocking = false
  if (!validate(obj)) {
    for (const e of validate.errors ?? []) {
      if (insideJunctorBranch(e.schemaPath)) continue
      if (e.keyword === 'type') blocking = true
      issues.push(ajvIssue(obj, e))
    }
  }
  if (blocking) {
    // The API server's own wording: it does not run CEL rules on an object with type errors.
    issues.push({
      path: '',
      message: 'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    })
  }
  walk(rootWalkSchema(schema), obj, [], { issues, runCel: !blocking })
  return issues
}

function collectRules(node: SchemaNode, at: string, out: (rule: ValidationRule, at: string) => void): void {
  for (const r of node['x-kubernetes-validations'] ?? []) out(r, at)
  for (const [k, v] of Object.entries(node.properties ?? {})) collectRules(v, at === '' ? k : `${at}.${k}`, out)
  if (node.items) collectRules(node.items, `${at}[]`, out)
  if (typeof node.additionalProperties === 'object') collectRules(node.additionalProperties, `${at}{}`, out)
}

/** Every x-kubernetes-validations rule of every stored schema (all versions). */
export function listCelRules(): CelRuleRef[] {
  const rules: CelRuleRef[] = []
  for (const entry of loadCatalog().values()) {
    collectRules(loadSchema(entry), '', (r, at) => {
      const ref: CelRuleRef = { apiVersion: entry.apiVersion, kind: entry.kind, source: entry.source, schemaPath: at, rule: r.rule }
      if (r.message !== undefined) ref.message = r.message
      if (r.messageExpression !== undefined) ref.messageExpression = r.messageExpression
      rules.push(ref)
    })
  }
  return rules
}
