// The receiving side of DATA (RFC 5321 4.1.1.4, 4.5.2): a resumable scanner that finds the end of
// the message (CRLF "." CRLF and nothing else), removes the dot that the sender doubled at the start
// of a line, and cuts the message into views of the input without copying.
//
// Theory of operation: only two things are ever held back across calls, a dot at the start of a
// line (which never belongs to the message: it is either stuffing or the terminator) and a CR right
// after such a dot (which belongs to the message unless an LF follows). Everything else is passed
// on as a subarray of the input as soon as it is seen. Line starts are only ever after CRLF, so a
// bare LF or bare CR can never start the terminator (SMTP smuggling, CVE-2023-51764).

const CR = 13
const LF = 10
const DOT = 46
const CR_BYTES = Uint8Array.of(CR)

/** Where the scanner is relative to lines: at a line start, after a line-start dot, after that dot and a CR, inside a line, or inside a line right after a CR. */
export type ScanAt = 'start' | 'dot' | 'dotCr' | 'mid' | 'midCr'

/** Why a message cannot be accepted, found while scanning. */
export type DataFault = 'bareLineEnding' | 'lineTooLong'

export interface DotScan {
  readonly at: ScanAt
  /** Octets of the current line so far, as sent but without a stuffing dot (RFC 5321 4.5.3.1.6). */
  readonly lineLength: number
  /** The first fault seen, if any. */
  readonly fault: DataFault | undefined
}

export interface ScanPolicy {
  /** Refuse bare CR and bare LF (RFC 5321 2.3.8) rather than keeping them as message data. */
  readonly rejectBareLineEndings: boolean
  /** Longest text line with its CRLF (RFC 5321 4.5.3.1.6); 0 for no limit. */
  readonly maxLineLength: number
}

const noWords = new Uint32Array(0)
const BELOW14 = 0x0e0e0e0e
const HIGHS = 0x80808080

/**
 * The index of the first CR or LF in `buf[i..n)`, or `n`. Whole 32-bit words are tested at once
 * with the "has an octet less than" trick (CR and LF are both below 14), so ordinary text
 * costs a few integer operations per four octets.
 */
const nextCrLf = (buf: Uint8Array, words: Uint32Array, wordStart: number, from: number, n: number): number => {
  const wordEnd = wordStart + words.length * 4
  let i = from
  if (i < wordEnd) {
    const aligned = i <= wordStart ? wordStart : wordStart + (((i - wordStart + 3) >>> 2) << 2)
    for (; i < aligned; i++) if (buf[i] === CR || buf[i] === LF) return i
    for (let w = (i - wordStart) >>> 2; w < words.length; w++) {
      const v = words[w]!
      // some octet is below 14 (CR, LF, or another control such as TAB): look closer
      if ((v - BELOW14) & ~v & HIGHS) {
        const at = wordStart + w * 4
        for (let k = at; k < at + 4; k++) if (buf[k] === CR || buf[k] === LF) return k
      }
    }
    i = wordEnd
  }
  for (; i < n; i++) if (buf[i] === CR || buf[i] === LF) return i
  return n
}

/**
 * From the start of a line, skip every following line that is ordinary: ended by CRLF, with no
 * other CR or LF, not starting with a dot, and within `max`. Returns the start of the first line
 * that is not (or `n`); the caller handles that one octet by octet.
 */
const skipLines = (
  buf: Uint8Array,
  words: Uint32Array,
  wordStart: number,
  from: number,
  n: number,
  max: number,
): number => {
  let i = from
  while (i < n && buf[i] !== DOT) {
    const j = nextCrLf(buf, words, wordStart, i, n)
    if (j >= n - 1 || buf[j] !== CR || buf[j + 1] !== LF || (max > 0 && j + 2 - i > max)) return i
    i = j + 2
  }
  return i
}

/** A scanner at the start of the message: the CRLF that ended the DATA line counts as a line end. */
export const dotScanStart: DotScan = { at: 'start', lineLength: 0, fault: undefined }

export interface ScanResult {
  readonly scan: DotScan
  /** Index just past the terminator, or -1 when the input ran out first. */
  readonly end: number
  /** Message bytes found in this call, in order; views of the input or of a shared CR constant. */
  readonly pieces: ReadonlyArray<Uint8Array>
}

/**
 * Scan `buf` from `pos`. Stops at the end of the message or of the input.
 * @example
 * const r = scanData(dotScanStart, bytes, 0, { rejectBareLineEndings: true, maxLineLength: 1000 })
 */
export const scanData = (scan: DotScan, buf: Uint8Array, pos: number, policy: ScanPolicy): ScanResult => {
  const n = buf.length
  const pieces: Uint8Array[] = []
  const strict = policy.rejectBareLineEndings
  const max = policy.maxLineLength
  let at = scan.at
  let lineLength = scan.lineLength
  let fault = scan.fault
  let i = pos
  let seg = pos // start of the bytes not yet passed on
  // A 32-bit view of the aligned middle of the input, to test four octets at a time.
  const head = (4 - (buf.byteOffset & 3)) & 3
  const count = n > head ? (n - head) >>> 2 : 0
  const wordStart = count > 0 ? head : n
  const words = count > 0 ? new Uint32Array(buf.buffer, buf.byteOffset + head, count) : noWords
  const flush = (to: number): void => {
    if (to > seg) pieces.push(buf.subarray(seg, to))
  }
  while (i < n) {
    if (at === 'start') {
      if (buf[i] === DOT) {
        flush(i) // the dot is stuffing or the terminator: never message data (4.5.2)
        i++
        seg = i
        lineLength = 0 // RFC 5321 4.5.3.1.6: the line limit does not count the dot doubled for transparency
        at = 'dot'
        continue
      }
      at = 'mid'
      continue
    }
    if (at === 'dot') {
      if (buf[i] === CR) {
        i++
        seg = i // hold the CR back until we know whether an LF follows
        at = 'dotCr'
        continue
      }
      at = 'mid'
      continue
    }
    if (at === 'dotCr') {
      if (buf[i] === LF) return { scan: { at: 'start', lineLength: 0, fault }, end: i + 1, pieces }
      pieces.push(CR_BYTES) // the held CR was a bare CR in the line "." + CR + ...
      if (strict && fault === undefined) fault = 'bareLineEnding'
      lineLength += 1
      at = 'mid'
      continue
    }
    // Inside a line: jump to the next CR or LF.
    if (at === 'midCr') {
      // the previous input ended in CR
      if (buf[i] === LF) {
        i++
        if (max > 0 && lineLength + 1 > max && fault === undefined) fault = 'lineTooLong'
        lineLength = 0
        at = 'start'
        continue
      }
      if (strict && fault === undefined) fault = 'bareLineEnding'
      at = 'mid'
    }
    // Fast path: skip whole ordinary lines (CRLF-ended, no dot first, not too long).
    if (lineLength === 0) {
      const start = skipLines(buf, words, wordStart, i, n, max)
      if (start !== i) {
        i = start
        at = 'start'
        continue
      }
    }
    const j = nextCrLf(buf, words, wordStart, i, n)
    if (j < n - 1 && buf[j] === CR && buf[j + 1] === LF) {
      lineLength += j + 2 - i
      if (max > 0 && lineLength > max && fault === undefined) fault = 'lineTooLong'
      lineLength = 0
      i = j + 2
      at = 'start'
      continue
    }
    lineLength += j - i
    if (j === n) break
    if (buf[j] === LF) {
      // an LF without its CR: it ends nothing, the line goes on (2.3.8)
      if (strict && fault === undefined) fault = 'bareLineEnding'
      lineLength += 1
      i = j + 1
      continue
    }
    if (j + 1 === n) {
      lineLength += 1
      at = 'midCr'
      break
    }
    // a CR without its LF
    if (strict && fault === undefined) fault = 'bareLineEnding'
    lineLength += 1
    i = j + 1
  }
  flush(n)
  return { scan: { at, lineLength, fault }, end: -1, pieces }
}
