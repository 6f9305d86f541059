// The CEL side of the CRD validator: a cel-js environment that behaves like the one the
// Kubernetes API server gives `x-kubernetes-validations` rules, as far as the rules in
// test/schemas need it.
//
// cel-js implements standard CEL. What Kubernetes adds or does differently, and how it is
// covered here:
// - `matches` is RE2 in Kubernetes (inline flags such as `(?i)`, `\z`, POSIX classes); cel-js hands
//   the pattern to JavaScript's RegExp, which rejects `(?i)`. cel-js does not let a built-in
//   overload be replaced, so calls are renamed in the rule source to `re2Matches`, which
//   translates the pattern (see re2ToRegExp).
// - `duration()` is Go's time.ParseDuration in Kubernetes; cel-js accepts strings Go rejects
//   ("s", ".s") and rejects ones Go accepts ("0"), so it is renamed to `goDuration` the same way.
// - The Kubernetes URL library (`url`, `isURL` and the `kubernetes.URL` getters) is implemented
//   here on a port of Go's url.ParseRequestURI, which is what Kubernetes uses.
// Any other Kubernetes library function (IP/CIDR, quantity, semver, format, lists, regex
// find, sets, ...) is absent on purpose: a rule that calls one fails to compile and
// compileCelRule throws, naming it, instead of the rule being skipped.
import { Environment, Optional } from '@marcbachmann/cel-js'
import { Duration } from '@marcbachmann/cel-js/evaluator'

/** Kubernetes CEL library functions this environment does not implement (none of the stored CRDs use them). */
export const UNSUPPORTED_KUBERNETES_CEL_FUNCTIONS: readonly string[] = [
  // library.IP / library.CIDR
  'ip', 'isIP', 'cidr', 'isCIDR', 'family', 'isUnspecified', 'isLoopback', 'isLinkLocalMulticast',
  'isLinkLocalUnicast', 'isGlobalUnicast', 'containsIP', 'containsCIDR', 'prefixLength', 'masked',
  // library.Quantity
  'quantity', 'isQuantity', 'sign', 'isGreaterThan', 'isLessThan', 'compareTo', 'asInteger',
  'asApproximateFloat', 'isInteger', 'add', 'sub',
  // library.SemverLib
  'semver', 'isSemver', 'major', 'minor', 'patch',
  // library.Lists
  'isSorted', 'sum', 'min', 'max', 'indexOf', 'lastIndexOf',
  // library.Regex
  'find', 'findAll',
  // library.Format, library.Authz, ext.Sets, ext.Strings v2 pieces cel-js lacks
  'format', 'validate', 'authorizer', 'sets.contains', 'sets.equivalent', 'sets.intersects',
  'charAt', 'replace', 'reverse', 'strings.quote',
]

// ---------------------------------------------------------------------------------------------
// Go's time.ParseDuration, shared by CEL's duration() and the `format: duration` check.

const GO_DURATION_UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
}
const MAX_INT64 = (1n << 63n) - 1n

/** Parses like Go's time.ParseDuration; returns nanoseconds, or an error message. */
export function parseGoDuration(input: string): bigint | string {
  let s = input
  let negative = false
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s.startsWith('-')
    s = s.slice(1)
  }
  if (s === '0') return 0n
  if (s === '') return `invalid duration "${input}"`
  let total = 0n
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)
    const whole = m?.[1] ?? ''
    const frac = m?.[2]
    if (whole === '' && (frac === undefined || frac === '')) return `invalid duration "${input}"`
    s = s.slice(m?.[0].length ?? 0)
    const unitMatch = /^[^\d.]+/.exec(s)
    if (!unitMatch) return `missing unit in duration "${input}"`
    const unit = unitMatch[0]
    const scale = GO_DURATION_UNITS[unit]
    if (scale === undefined) return `unknown unit "${unit}" in duration "${input}"`
    s = s.slice(unit.length)
    let value = BigInt(whole === '' ? '0' : whole) * scale
    if (frac) {
      // As Go's leadingFraction: digits past int64 precision are dropped, and the fraction is
      // scaled in float64 (JavaScript numbers are the same doubles) and truncated.
      let f = 0n
      let fScale = 1
      for (const digit of frac) {
        const next = f * 10n + BigInt(digit)
        if (next > MAX_INT64 + 1n) break
        f = next
        fScale *= 10
      }
      value += BigInt(Math.trunc(Number(f) * (Number(scale) / fScale)))
    }
    total += value
    if (total > MAX_INT64 + (negative ? 1n : 0n)) return `invalid duration "${input}"`
  }
  return negative ? -total : total
}

function celDuration(nanos: bigint): Duration {
  // BigInt division truncates toward zero, so seconds and nanos share the sign as CEL expects.
  return new Duration(nanos / 1_000_000_000n, Number(nanos % 1_000_000_000n))
}

export function goDurationToCel(input: string): Duration {
  const parsed = parseGoDuration(input)
  if (typeof parsed === 'string') throw new Error(parsed)
  return celDuration(parsed)
}

// kube-openapi's strfmt.ParseDuration, which backs `format: duration`: Go's syntax first, then
// a lenient "<n> <unit word>" form ("3 days", "1 wk").
const STRFMT_UNITS: readonly (readonly [bigint, readonly string[]])[] = [
  [1n, ['ns', 'nano']],
  [1_000n, ['us', 'µs', 'micro']],
  [1_000_000n, ['ms', 'milli']],
  [1_000_000_000n, ['s', 'sec']],
  [60_000_000_000n, ['m', 'min']],
  [3_600_000_000_000n, ['h', 'hr', 'hour']],
  [86_400_000_000_000n, ['d', 'day']],
  [604_800_000_000_000n, ['w', 'wk', 'week']],
]

export function parseStrfmtDuration(input: string): bigint | undefined {
  const go = parseGoDuration(input)
  if (typeof go === 'bigint') return go
  let total = 0n
  let matched = false
  for (const m of input.matchAll(/(\d+)\s*([A-Za-zµ]+)/g)) {
    const factor = BigInt(m[1] ?? '0')
    const unit = (m[2] ?? '').toLowerCase()
    for (const [scale, variants] of STRFMT_UNITS) {
      variants.forEach((variant, i) => {
        if ((i === variants.length - 1 && unit.startsWith(variant)) || unit === variant) {
          matched = true
          total += factor * scale
        }
      })
    }
  }
  return matched ? total : undefined
}

export function strfmtDurationToCel(input: string): Duration | undefined {
  const nanos = parseStrfmtDuration(input)
  return nanos === undefined ? undefined : celDuration(nanos)
}

// ---------------------------------------------------------------------------------------------
// RE2 -> JavaScript RegExp. Kubernetes evaluates both `pattern` and CEL `matches` with Go's
// regexp (RE2). Constructs with no faithful JavaScript equivalent throw rather than match
// something else.

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
}
const RE2_SPACE = '\\t\\n\\f\\r '

export class UnsupportedRegexError extends Error {
  constructor(pattern: string, what: string) {
    super(`RE2 pattern ${JSON.stringify(pattern)} uses ${what}, which the validator cannot translate to a JavaScript RegExp`)
    this.name = 'UnsupportedRegexError'
  }
}

const regexCache = new Map<string, RegExp>()

export function re2ToRegExp(pattern: string): RegExp {
  const cached = regexCache.get(pattern)
  if (cached) return cached
  const translated = translateRe2(pattern)
  regexCache.set(pattern, translated)
  return translated
}

function translateRe2(pattern: string): RegExp {
  const unsupported = (what: string): never => {
    throw new UnsupportedRegexError(pattern, what)
  }
  // RE2 flags may only be hoisted into JavaScript flags when they apply to the whole pattern:
  // `(?i)` at the start, possibly after anchors (which flags do not affect). Anywhere else they
  // are scoped, which JavaScript (before ES2025 modifiers) cannot express.
  let pos = 0
  let leadingAnchors = 0
  for (;;) {
    if (pattern.startsWith('^', pos)) {
      pos += 1
      leadingAnchors++
    } else if (pattern.startsWith('\\A', pos)) {
      pos += 2
      leadingAnchors++
    } else break
  }
  let flags = ''
  const flagGroup = /^\(\?([a-zA-Z]+)\)/.exec(pattern.slice(pos))
  if (flagGroup) {
    for (const f of flagGroup[1] ?? '') {
      if (f === 'i' || f === 'm' || f === 's') {
        if (!flags.includes(f)) flags += f
      } else unsupported(`the (?${f}) flag`)
    }
    pos += flagGroup[0].length
  } else {
    pos = 0
    leadingAnchors = 0
  }
  const multiline = flags.includes('m')
  const dotAll = flags.includes('s')
  const startOfText = multiline ? '(?<![\\s\\S])' : '^'
  const endOfText = multiline ? '(?![\\s\\S])' : '$'

  let out = startOfText.repeat(leadingAnchors)
  let inClass = false
  let classStart = false
  const hexEscape = (at: number): [string, number] => {
    // at points at the 'x' of \x
    if (pattern[at + 1] === '{') {
      const close = pattern.indexOf('}', at + 2)
      if (close < 0) unsupported('an unterminated \\x{...}')
      const code = parseInt(pattern.slice(at + 2, close), 16)
      if (!Number.isFinite(code) || code > 0xffff) unsupported('a \\x{...} escape beyond U+FFFF')
      return [`\\u${code.toString(16).padStart(4, '0')}`, close + 1]
    }
    return [`\\x${pattern.slice(at + 1, at + 3)}`, at + 3]
  }
  while (pos < pattern.length) {
    const c = pattern[pos] as string
    if (c === '\\') {
      const n = pattern[pos + 1]
      if (n === undefined) unsupported('a trailing backslash')
      if (n === 'p' || n === 'P') unsupported('Unicode classes (\\p)')
      if (n === 'C') unsupported('\\C')
      if (n !== undefined && n >= '0' && n <= '9') unsupported('octal escapes')
      if (n === 'x') {
        const [text, next] = hexEscape(pos + 1)
        out += text
        pos = next
        continue
      }
      if (n === 'Q') {
        if (inClass) unsupported('\\Q inside a character class')
        const end = pattern.indexOf('\\E', pos + 2)
        const literal = pattern.slice(pos + 2, end < 0 ? undefined : end)
        out += literal.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')
        pos = end < 0 ? pattern.length : end + 2
        continue
      }
      if (n === 'E') {
        pos += 2
        continue
      }
      if (n === 'a') out += '\\x07'
      else if (n === 's') out += inClass ? RE2_SPACE : `[${RE2_SPACE}]`
      else if (n === 'S' && !inClass) out += `[^${RE2_SPACE}]`
      else if (!inClass && n === 'A') out += startOfText
      else if (!inClass && n === 'z') out += endOfText
      else out += `\\${n}`
      pos += 2
      classStart = false
      continue
    }
    if (inClass) {
      if (c === '[' && pattern[pos + 1] === ':') {
        const close = pattern.indexOf(':]', pos + 2)
        const name = close < 0 ? undefined : pattern.slice(pos + 2, close)
        if (name?.startsWith('^')) unsupported(`the negated POSIX class [:${name}:]`)
        const expansion = name === undefined ? undefined : POSIX_CLASSES[name]
        if (expansion === undefined) unsupported(`an unknown POSIX class at offset ${pos}`)
        out += expansion
        pos = close + 2
        classStart = false
        continue
      }
      if (c === ']' && !classStart) {
        inClass = false
        out += ']'
        pos++
        continue
      }
      // RE2 reads `]` first in a class as a literal; JavaScript reads `[]` as the empty class.
      out += c === ']' ? '\\]' : c === '[' ? '\\[' : c
      pos++
      classStart = false
      continue
    }
    if (c === '[') {
      inClass = true
      out += '['
      pos++
      if (pattern[pos] === '^') {
        out += '^'
        pos++
      }
      classStart = true
      continue
    }
    if (c === '.') {
      out += dotAll ? '[\\s\\S]' : '[^\\n]'
      pos++
      continue
    }
    if (c === '(' && pattern[pos + 1] === '?') {
      const rest = pattern.slice(pos + 2)
      if (rest.startsWith(':')) {
        out += '(?:'
        pos += 3
      } else if (rest.startsWith('P<')) {
        out += '(?<'
        pos += 4
      } else if (/^<[A-Za-z_]/.test(rest)) {
        out += '(?<'
        pos += 3
      } else if (/^[=!]|^<[=!]/.test(rest)) {
        unsupported('lookaround, which RE2 does not have')
      } else {
        unsupported('scoped flags (only a leading (?flags) is supported)')
      }
      continue
    }
    out += c
    pos++
  }
  if (inClass) unsupported('an unterminated character class')
  try {
    return new RegExp(out, flags)
  } catch (e) {
    throw new UnsupportedRegexError(pattern, `syntax JavaScript rejects (${(e as Error).message})`)
  }
}

// ---------------------------------------------------------------------------------------------
// Go's net/url.ParseRequestURI, for the Kubernetes URL library.

export interface GoUrl {
  scheme: string
  opaque: string
  host: string
  path: string
  rawQuery: string
}

const HOST_SAFE = /^[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"]$/

function checkPercentEscapes(s: string, what: string): void {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && !/^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      throw new Error(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))} in ${what}`)
    }
  }
}

function parseHost(host: string): string {
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']')
    if (close < 0) throw new Error("missing ']' in host")
    const colonPort = host.slice(close + 1)
    if (!/^(:\d*)?$/.test(colonPort)) throw new Error(`invalid port ${JSON.stringify(colonPort)} after host`)
  } else {
    const colon = host.lastIndexOf(':')
    if (colon >= 0 && !/^:\d*$/.test(host.slice(colon))) {
      throw new Error(`invalid port ${JSON.stringify(host.slice(colon))} after host`)
    }
  }
  for (let i = 0; i < host.length; i++) {
    const ch = host[i] as string
    if (ch === '%') {
      const hex = host.slice(i + 1, i + 3)
      // Per RFC 3986 a host may only %-encode non-ASCII bytes (and "%25" in an IPv6 zone).
      if (!/^[0-9A-Fa-f]{2}$/.test(hex) || (parseInt(hex, 16) < 0x80 && hex !== '25')) {
        throw new Error(`invalid URL escape ${JSON.stringify(host.slice(i, i + 3))}`)
      }
      i += 2
    } else if (ch.charCodeAt(0) < 0x80 && !HOST_SAFE.test(ch)) {
      throw new Error(`invalid character ${JSON.stringify(ch)} in host name`)
    }
  }
  return host
}

export function parseRequestUri(raw: string): GoUrl {
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new Error('net/url: invalid control character in URL')
  if (raw === '') throw new Error('empty url')
  const url: GoUrl = { scheme: '', opaque: '', host: '', path: '', rawQuery: '' }
  if (raw === '*') {
    url.path = '*'
    return url
  }
  let rest = raw
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string
    if (/[A-Za-z]/.test(c)) continue
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) break
      continue
    }
    if (c === ':') {
      if (i === 0) throw new Error('missing protocol scheme')
      url.scheme = raw.slice(0, i).toLowerCase()
      rest = raw.slice(i + 1)
    }
    break
  }
  if (rest.endsWith('?') && rest.indexOf('?') === rest.length - 1) {
    rest = rest.slice(0, -1)
  } else {
    const q = rest.indexOf('?')
    if (q >= 0) {
      url.rawQuery = rest.slice(q + 1)
      rest = rest.slice(0, q)
    }
  }
  if (!rest.startsWith('/')) {
    if (url.scheme !== '') {
      url.opaque = rest
      return url
    }
    throw new Error('invalid URI for request')
  }
  if (url.scheme !== '' && rest.startsWith('//')) {
    let authority = rest.slice(2)
    rest = ''
    const slash = authority.indexOf('/')
    if (slash >= 0) {
      rest = authority.slice(slash)
      authority = authority.slice(0, slash)
    }
    const at = authority.lastIndexOf('@')
    url.host = parseHost(at < 0 ? authority : authority.slice(at + 1))
    if (at >= 0) {
      const userinfo = authority.slice(0, at)
      if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) throw new Error('net/url: invalid userinfo')
      checkPercentEscapes(userinfo, 'userinfo')
    }
  }
  checkPercentEscapes(rest, 'path')
  url.path = rest
  return url
}

/** A parsed URL as the `kubernetes.URL` CEL type. */
export class KubernetesUrl {
  constructor(readonly url: GoUrl) {}
}

function splitHostPort(host: string): { hostname: string; port: string } {
  if (host.startsWith('[')) {
    const close = host.indexOf(']')
    const port = host.slice(close + 1)
    return { hostname: host.slice(1, close), port: port.startsWith(':') ? port.slice(1) : '' }
  }
  const colon = host.lastIndexOf(':')
  if (colon < 0) return { hostname: host, port: '' }
  return { hostname: host.slice(0, colon), port: host.slice(colon + 1) }
}

function queryUnescape(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    return undefined
  }
}

// Go's url.ParseQuery: pairs with a ';' or a bad escape are dropped.
function parseQuery(raw: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const pair of raw.split('&')) {
    if (pair === '' || pair.includes(';')) continue
    const eq = pair.indexOf('=')
    const key = queryUnescape(eq < 0 ? pair : pair.slice(0, eq))
    const value = queryUnescape(eq < 0 ? '' : pair.slice(eq + 1))
    if (key === undefined || value === undefined) continue
    out.set(key, [...(out.get(key) ?? []), value])
  }
  return out
}

// Go's URL.EscapedPath: the path as written when that is a valid encoding, else the decoded
// path re-escaped byte by byte.
function escapedPath(raw: string): string {
  if (/^[A-Za-z0-9\-._~!$&'()*+,;=:@/[\]%]*$/.test(raw)) return raw
  const bytes = new TextEncoder().encode(raw)
  const decoded: number[] = []
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number
    if (b === 0x25) {
      decoded.push(parseInt(String.fromCharCode(bytes[i + 1] as number, bytes[i + 2] as number), 16))
      i += 2
    } else decoded.push(b)
  }
  return decoded
    .map((b) => {
      const ch = String.fromCharCode(b)
      return b < 0x80 && /[A-Za-z0-9\-._~$&+,;=:@/]/.test(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`
    })
    .join('')
}

// ---------------------------------------------------------------------------------------------
// The environment.

const env = new Environment({ enableOptionalTypes: true })
  .registerVariable('self', 'dyn')
  .registerVariable('oldSelf', 'dyn')
  .registerFunction('string.re2Matches(string): bool', (s: string, re: string) => re2ToRegExp(re).test(s))
  .registerFunction('re2Matches(string, string): bool', (s: string, re: string) => re2ToRegExp(re).test(s))
  .registerFunction('goDuration(string): google.protobuf.Duration', goDurationToCel)
  .registerType('kubernetes.URL', KubernetesUrl)
  .registerFunction('isURL(string): bool', (s: string) => {
    try {
      parseRequestUri(s)
      return true
    } catch {
      return false
    }
  })
  .registerFunction('url(string): kubernetes.URL', (s: string) => {
    try {
      return new KubernetesUrl(parseRequestUri(s))
    } catch (e) {
      throw new Error(`URL parse error during conversion from string: ${(e as Error).message}`)
    }
  })
  .registerFunction('kubernetes.URL.getScheme(): string', (u: KubernetesUrl) => u.url.scheme)
  .registerFunction('kubernetes.URL.getHost(): string', (u: KubernetesUrl) => u.url.host)
  .registerFunction('kubernetes.URL.getHostname(): string', (u: KubernetesUrl) => splitHostPort(u.url.host).hostname)
  .registerFunction('kubernetes.URL.getPort(): string', (u: KubernetesUrl) => splitHostPort(u.url.host).port)
  .registerFunction('kubernetes.URL.getEscapedPath(): string', (u: KubernetesUrl) => escapedPath(u.url.path))
  .registerFunction('kubernetes.URL.getQuery(): map<string, list<string>>', (u: KubernetesUrl) => parseQuery(u.url.rawQuery))

// ---------------------------------------------------------------------------------------------
// Rule source handling.

interface Token {
  kind: 'ident' | 'string' | 'other'
  text: string
  start: number
  end: number
}

// Just enough of CEL's lexer to tell identifiers from string literals and comments, so that
// renaming a call never touches text inside a string.
function tokenize(src: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i] as string
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (src.startsWith('//', i)) {
      const nl = src.indexOf('\n', i)
      i = nl < 0 ? src.length : nl
      continue
    }
    const prefix = /^(?:[rR][bB]?|[bB][rR]?)?(?:'''|"""|'|")/.exec(src.slice(i))
    if (prefix) {
      const raw = /[rR]/.test(prefix[0].replace(/['"]/g, ''))
      const quote = prefix[0].replace(/^[rRbB]+/, '')
      let j = i + prefix[0].length
      for (;;) {
        if (j >= src.length) throw new Error(`unterminated string literal at offset ${i}`)
        if (!raw && src[j] === '\\') {
          j += 2
          continue
        }
        if (src.startsWith(quote, j)) {
          j += quote.length
          break
        }
        j++
      }
      tokens.push({ kind: 'string', text: src.slice(i, j), start: i, end: j })
      i = j
      continue
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))
    if (ident) {
      tokens.push({ kind: 'ident', text: ident[0], start: i, end: i + ident[0].length })
      i += ident[0].length
      continue
    }
    tokens.push({ kind: 'other', text: c, start: i, end: i + 1 })
    i++
  }
  return tokens
}

function matchingClose(tokens: readonly Token[], open: number): number | undefined {
  let depth = 0
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i] as Token
    if (t.kind !== 'other') continue
    if ('([{'.includes(t.text)) depth++
    else if (')]}'.includes(t.text) && --depth === 0) return i
  }
  return undefined
}

/**
 * Rewrites a rule so cel-js runs it with Kubernetes semantics: `matches` -> `re2Matches`,
 * `duration` -> `goDuration` (see the file comment), and `has(e.f)` whose `e` is not a plain
 * `a.b.c` chain (e.g. `has(self.matches[0].path)`, which the Gateway API uses) ->
 * `cel.bind(v, e, has(v.f))`: cel-js only accepts has() on an identifier chain, and binding
 * evaluates `e` first exactly as has() does.
 */
function rewriteSource(src: string, counter: { next: number }): string {
  const tokens = tokenize(src)
  let out = ''
  let last = 0
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token
    const prev = tokens[i - 1]
    const next = tokens[i + 1]
    if (t.kind !== 'ident' || next?.kind !== 'other' || next.text !== '(') continue
    const isSelected = prev?.kind === 'other' && prev.text === '.'
    let replacement: string | undefined
    if (t.text === 'matches') replacement = 're2Matches'
    else if (t.text === 'duration' && !isSelected) replacement = 'goDuration'
    else if (t.text === 'has' && !isSelected) {
      const close = matchingClose(tokens, i + 1)
      if (close === undefined) continue
      const args = tokens.slice(i + 2, close)
      const field = args[args.length - 1]
      const dot = args[args.length - 2]
      const operand = args.slice(0, -2)
      const plainChain =
        operand.length % 2 === 1 &&
        operand.every((a, k) => (k % 2 === 0 ? a.kind === 'ident' : a.kind === 'other' && a.text === '.'))
      const first = operand[0]
      if (field?.kind !== 'ident' || dot?.text !== '.' || first === undefined || plainChain) continue
      const variable = `__has${counter.next++}__`
      const operandSrc = rewriteSource(src.slice(first.start, dot.start), counter)
      out += `${src.slice(last, t.start)}cel.bind(${variable}, ${operandSrc}, has(${variable}.${field.text}))`
      last = (tokens[close] as Token).end
      i = close
      continue
    }
    if (replacement !== undefined) {
      out += src.slice(last, t.start) + replacement
      last = t.end
    }
  }
  return out + src.slice(last)
}

export interface CompiledCel {
  readonly source: string
  /** The rule reads `oldSelf`, so it is a transition rule. */
  readonly usesOldSelf: boolean
  evaluate(self: unknown, oldSelf?: unknown): unknown
}

export class CelCompileError extends Error {
  constructor(readonly rule: string, detail: string) {
    super(`CEL rule does not compile in the validator's Kubernetes CEL environment: ${detail}\n  rule: ${rule}`)
    this.name = 'CelCompileError'
  }
}

const compiled = new Map<string, CompiledCel>()

/**
 * Parses and type-checks a rule (with `self` and `oldSelf` as dyn), and translates the regular
 * expressions it passes to `matches` as literals, so that an unsupported function or regex
 * shows up here rather than when some object happens to reach it. Throws CelCompileError.
 */
export function compileCelRule(source: string): CompiledCel {
  const hit = compiled.get(source)
  if (hit) return hit
  let tokens: Token[]
  try {
    tokens = tokenize(source)
  } catch (e) {
    throw new CelCompileError(source, firstLine(e))
  }
  let usesOldSelf = false
  const literalPatterns: string[] = []
  tokens.forEach((t, i) => {
    if (t.kind !== 'ident') return
    const prev = tokens[i - 1]
    const isSelected = prev?.kind === 'other' && prev.text === '.'
    if (t.text === 'oldSelf' && !isSelected) usesOldSelf = true
    const [open, arg, close] = tokens.slice(i + 1, i + 4)
    if (t.text === 'matches' && isSelected && open?.text === '(' && arg?.kind === 'string' && close?.text === ')') {
      literalPatterns.push(arg.text)
    }
  })
  const rewritten = rewriteSource(source, { next: 0 })

  let program: ReturnType<Environment['parse']>
  try {
    program = env.parse(rewritten)
  } catch (e) {
    throw new CelCompileError(source, firstLine(e))
  }
  const checked = program.check()
  if (!checked.valid) {
    const detail = firstLine(checked.error)
    const fn = /no matching overload for '(?:[\w<>, ]+\.)?([\w.]+)\(/.exec(detail)?.[1]
    const hint =
      fn !== undefined && UNSUPPORTED_KUBERNETES_CEL_FUNCTIONS.includes(fn)
        ? ` (${fn} is a Kubernetes CEL library function the validator does not implement)`
        : ''
    throw new CelCompileError(source, detail + hint)
  }
  for (const literal of literalPatterns) {
    try {
      re2ToRegExp(env.evaluate(literal) as string)
    } catch (e) {
      throw new CelCompileError(source, firstLine(e))
    }
  }
  const result: CompiledCel = {
    source,
    usesOldSelf,
    evaluate: (self, oldSelf) => program({ self, oldSelf: oldSelf ?? Optional.none() }),
  }
  compiled.set(source, result)
  return result
}

function firstLine(e: unknown): string {
  const err = e as { summary?: string; message?: string } | undefined
  return (err?.summary ?? err?.message ?? String(e)).split('\n')[0] ?? ''
}

export function celErrorMessage(e: unknown): string {
  return firstLine(e)
}

