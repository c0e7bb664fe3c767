// Character classes and small string helpers shared by the grammar parsers.
// Covers the terminals of RFC 5321 4.1.2 (Let-dig, atext via RFC 5322 3.2.3) and RFC 6531 3.3 (UTF8-non-ascii).

/** ASCII letter (RFC 5234 ALPHA). */
export const isAlpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)

/** ASCII digit (RFC 5234 DIGIT). */
export const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39

/** Hex digit in either case (RFC 5234 HEXDIG is case-insensitive). */
export const isHexDigit = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)

/** Letter or digit: the `Let-dig` of RFC 5321 4.1.2. */
export const isLetDig = (c: number): boolean => isAlpha(c) || isDigit(c)

/**
 * Control characters: C0 (including NUL, CR, LF, TAB), DEL and the C1 range U+0080..U+009F.
 * RFC 5321 4.1.2 bars ASCII controls from addresses; C1 controls are refused as well, for the same reason.
 */
export const isControl = (c: number): boolean => c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f)

// Outside Net-Unicode (RFC 5198 2, which RFC 6532 3.2 asks of header text): controls, format characters
// (bidi overrides, zero-width characters, the byte order mark), line and paragraph separators, noncharacters.
// Both patterns are made when first needed: a Unicode property class loads the engine's Unicode data, which
// ASCII text never needs (a process that sends one message starts faster).
let notNetUnicode: RegExp | undefined
// RFC 5892 (IDNA2008) disallows in U-labels also every space, private use and unassigned code points.
let notInULabel: RegExp | undefined

/**
 * A non-ASCII code point that may appear where RFC 6531 3.3 allows UTF8-non-ascii: above U+009F, not a lone
 * surrogate (it has no UTF-8 form), and within Net-Unicode, so that an address is text a header can carry
 * as it is: one that hid a line separator or a bidi override could show another address than it names.
 */
export const isUtf8NonAscii = (c: number): boolean =>
  c >= 0xa0 &&
  !(c >= 0xd800 && c <= 0xdfff) &&
  !(notNetUnicode ??= /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Noncharacter_Code_Point}]/u).test(String.fromCodePoint(c))

/** A non-ASCII code point a U-label may hold (RFC 5890 2.3.2.1, RFC 5892): no spaces, private use or unassigned. */
export const isULabelChar = (c: number): boolean =>
  isUtf8NonAscii(c) && !(notInULabel ??= /[\p{Z}\p{Co}\p{Cn}]/u).test(String.fromCodePoint(c))

const ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~"
/** 1 for each ASCII code that is `atext`: letters, digits and the specials above. */
const ASCII_ATEXT = new Uint8Array(128)
for (let c = 0; c < 128; c++) ASCII_ATEXT[c] = isLetDig(c) || ATEXT_SPECIALS.includes(String.fromCharCode(c)) ? 1 : 0

/** `atext` of RFC 5322 3.2.3, extended with UTF8-non-ascii by RFC 6531 3.3. */
export const isAtext = (c: number): boolean => (c < 0x80 ? ASCII_ATEXT[c] === 1 : isUtf8NonAscii(c))

/** Code point of a one-code-point string as produced by `Array.from(text)`. */
export const codeOf = (ch: string): number => ch.codePointAt(0) ?? 0

/** Does the text contain a code point above U+007F? */
export const hasNonAscii = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return true
  return false
}

/** Length of the text in UTF-8 octets; the limits of RFC 5321 4.5.3.1 are counted in octets. */
export const utf8Octets = (text: string): number => {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    // a surrogate pair (two units) is one code point of 4 octets; a lone surrogate counts as U+FFFD would, 3
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4
        i++
        continue
      }
    }
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : 3
  }
  return n
}

/**
 * Upper-case ASCII letters only. `String.prototype.toUpperCase` maps some non-ASCII letters onto ASCII
 * (U+017F to `S`, U+0131 to `I`), which would let look-alikes match protocol keywords.
 */
export const asciiUpper = (text: string): string =>
  hasCodeIn(text, 0x61, 0x7a) ? text.replace(/[a-z]+/g, upper) : text

/** Lower-case ASCII letters only (see {@link asciiUpper}). */
export const asciiLower = (text: string): string =>
  hasCodeIn(text, 0x41, 0x5a) ? text.replace(/[A-Z]+/g, lower) : text

/** Is some UTF-16 code unit of `text` within `[from, to]`? Most protocol words need no case change at all. */
const hasCodeIn = (text: string, from: number, to: number): boolean => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= from && c <= to) return true
  }
  return false
}
const upper = (s: string): string => s.toUpperCase()
const lower = (s: string): string => s.toLowerCase()

/** Shorten client-supplied ASCII text before echoing it in a reply line (RFC 5321 4.5.3.1.5 caps reply lines). */
export const shown = (text: string, max = 40): string => (text.length > max ? `${text.slice(0, max)}...` : text)
