// Options checked at the edge, as a user reads the result: every problem on one line with its path,
// what was expected and what was given. Unknown keys are problems too (io-ts `exact` only strips
// them, so a misspelled limit would silently fall back to its default).
import type * as t from 'io-ts'
import { isSecretName, isSecretOption } from '@smtpure/core'

/** Options that do not fit; `problems` has one line per problem, `message` starts with `invalid <what> options:`. */
export class OptionsError extends Error {
  override readonly name = 'OptionsError'
  constructor(
    what: string,
    /** One line each: `path: what is wrong, given value`. */
    readonly problems: ReadonlyArray<string>,
  ) {
    super(`invalid ${what} options:\n${problems.join('\n')}`)
  }
}

type Codec = t.Mixed & { readonly _tag?: string }

/** The codec under exact, readonly and refinement wrappers (they validate with their parent's context). */
const unwrapped = (c: Codec): Codec => {
  const inner = (c as { type?: Codec }).type
  return (c._tag === 'ExactType' || c._tag === 'ReadonlyType' || c._tag === 'RefinementType') && inner
    ? unwrapped(inner)
    : c
}
const isBranch = (c: Codec): boolean => ['IntersectionType', 'UnionType'].includes(unwrapped(c)._tag ?? '')
const isArray = (c: Codec): boolean => ['ArrayType', 'ReadonlyArrayType'].includes(unwrapped(c)._tag ?? '')

/** The properties an object codec knows, by name (through exact, readonly, refinement and intersection). */
const propsOf = (codec: Codec): Readonly<Record<string, Codec>> | undefined => {
  const c = codec as Codec & { type?: Codec; props?: Record<string, Codec>; types?: Codec[] }
  switch (c._tag) {
    case 'ExactType':
    case 'ReadonlyType':
    case 'RefinementType':
      return c.type && propsOf(c.type)
    case 'InterfaceType':
    case 'PartialType':
      return c.props
    case 'IntersectionType': {
      const parts = (c.types ?? []).map(propsOf)
      return parts.some((p) => p !== undefined) ? Object.assign({}, ...parts) : undefined
    }
    default:
      return undefined
  }
}

const HIDDEN = '(hidden)'

/** Marks a value JSON cannot write (NaN, Infinity, undefined) inside a shown value, to be written as it is. */
const AS_IS = '\u{10fffe}as is:'
const NOT_JSON = /"\u{10fffe}as is:(NaN|-?Infinity|undefined)"/gu

/**
 * A value as it appears in a problem line: JSON, cut short, with numbers and undefined as they are
 * (`[NaN,undefined]`, not JSON's `[null,null]`). The value of the option `name` is hidden when core's
 * `isSecretOption` says so, and so is every secret inside an object shown (`{"username":"a","password":"(hidden)"}`).
 */
export const shown = (value: unknown, name?: string): string => {
  if (value === undefined) return 'undefined'
  if (name !== undefined && isSecretOption(name, value)) return HIDDEN
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'number') return String(value) // NaN and Infinity as they are: JSON would say null
  let text: string
  try {
    text =
      JSON.stringify(value, (k, v: unknown) =>
        k !== '' && isSecretName(k)
          ? HIDDEN
          : v === undefined || (typeof v === 'number' && !Number.isFinite(v))
            ? `${AS_IS}${v}`
            : v,
      )?.replace(NOT_JSON, '$1') ?? String(value)
  } catch {
    text = Object.prototype.toString.call(value)
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

/** What kind of value was given, for options whose value itself would tell nothing (`a string`, `an object`). */
export const kindOf = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : typeof value === 'object'
        ? 'an object'
        : typeof value === 'boolean'
          ? String(value)
          : `a ${typeof value}`

/** Edit distance, for "did you mean" (option names are short). */
const distance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!
      row[j] = Math.min(
        above + 1,
        row[j - 1]! + 1,
        diagonal + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1),
      )
      diagonal = above
    }
  }
  return row[b.length]!
}

const suggestion = (key: string, known: ReadonlyArray<string>): string => {
  const best = known
    .map((k) => ({ k, d: distance(key, k) }))
    .sort((x, y) => x.d - y.d)
    .find((x) => x.d <= Math.max(2, Math.floor(x.k.length / 4)))
  return best ? ` (did you mean ${best.k}?)` : ''
}

/**
 * Keys the codec does not know, at any depth of nested objects, one line each, without their values. `hints` adds
 * a reason for keys that exist elsewhere (such as a client's `tls`, set by `security`).
 */
export const unknownKeys = (
  codec: Codec,
  value: unknown,
  path: string,
  hints: Readonly<Record<string, string>> = {},
): string[] => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return []
  const inner = unwrapped(codec) as Codec & { codomain?: Codec }
  // a record (such as `tls.sni`, names to certificates): any key, each value checked by the codomain
  if (inner._tag === 'DictionaryType' && inner.codomain !== undefined) {
    const each = inner.codomain
    const at = path.replace(/\.$/, '')
    return Object.entries(value).flatMap(([k, v]) => unknownKeys(each, v, `${at}[${JSON.stringify(k)}].`))
  }
  const props = propsOf(codec)
  if (props === undefined) return []
  return Object.entries(value).flatMap(([k, v]) => {
    const sub = Object.hasOwn(props, k) && !Object.hasOwn(hints, k) ? props[k] : undefined
    // the value is not shown: an unknown key may be any secret misspelled or misplaced (`pasword`, `users`)
    if (sub === undefined) return [`${path}${k}: unknown option${hints[k] ?? suggestion(k, Object.keys(props))}`]
    return unknownKeys(sub, v, `${path}${k}.`)
  })
}

/**
 * What io-ts refused, one line per path: `path: expected <type>, given <value>`. Branches of
 * intersections and unions are not part of the path; array items are `[i]`.
 */
export const typeProblems = (codec: Codec, value: unknown, path: string): string[] => {
  const result = codec.decode(value)
  if (result._tag === 'Right') return []
  const lines = new Map<string, string>()
  for (const error of result.left) {
    let at = path
    let expected = codec.name
    let given: unknown = value
    let name: string | undefined
    for (let i = 1; i < error.context.length; i++) {
      const parent = error.context[i - 1]!.type as Codec
      const entry = error.context[i]!
      if (isBranch(parent)) continue
      at = isArray(parent) ? `${at.replace(/\.$/, '')}[${entry.key}].` : `${at}${entry.key}.`
      expected = entry.type.name
      given = entry.actual
      if (!isArray(parent)) name = entry.key
    }
    const key = at.replace(/\.$/, '') || '(options)'
    if (!lines.has(key)) lines.set(key, `${key}: expected ${expected}, given ${shown(given, name)}`)
  }
  return [...lines.values()]
}

/** The value at a dotted path, if there is one. */
const at = (value: unknown, path: string): { found: boolean; value?: unknown } => {
  let v = value
  for (const k of path.split('.')) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, k)) return { found: false }
    v = (v as Record<string, unknown>)[k]
  }
  return { found: true, value: v }
}

/**
 * Rule problems from the core (`key: must be ...`) as lines with the full path and the given value.
 * @example
 * ruleProblems(['maxRecipients: must be at least 1'], { maxRecipients: 0 }, 'smtp.')
 * // ['smtp.maxRecipients: must be at least 1, given 0']
 */
export const ruleProblems = (errors: ReadonlyArray<string>, value: unknown, path: string): string[] =>
  errors.map((line) => {
    const m = /^([\w.]+): (.*)$/s.exec(line)
    if (m === null) return `${path.replace(/\.$/, '')}: ${line}`
    const given = at(value, m[1]!)
    return `${path}${m[1]}: ${m[2]}${given.found ? `, given ${shown(given.value, m[1]!.split('.').pop())}` : ''}`
  })
