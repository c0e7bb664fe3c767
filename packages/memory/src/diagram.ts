// A trace as a sequence diagram a person can read: Mermaid text (GitHub renders it in Markdown) and a
// self-contained SVG. Each arrow is one delivery as the receiving session saw it, at its virtual time;
// long pieces (message bodies) are cut to their first line and their size.
import type { TraceEvent } from './Trace.js'

/** How much of a trace to draw. */
export interface DiagramOptions {
  /** Draw at most this many events (default 400); the rest is summed up in a last note. */
  readonly maxEvents?: number
  /** Characters of text per arrow (default 72). */
  readonly maxText?: number
}

interface Row {
  readonly from: string
  readonly to: string
  readonly arrow: 'data' | 'fin' | 'reset' | 'connect' | 'refused' | 'note'
  readonly text: string
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(3)} s`

/** What the octets say, one line per CRLF-ended line, cut to `max` characters. */
const describeBytes = (bytes: Uint8Array, max: number): string => {
  let s = ''
  const n = Math.min(bytes.length, max * 4)
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!
    s += b === 13 ? '' : b === 10 ? ' | ' : b >= 32 && b < 127 ? String.fromCharCode(b) : '?'
  }
  s = s.replace(/ \| $/, '')
  return s.length > max || bytes.length > n ? `${s.slice(0, max)}... (${bytes.length} octets)` : s
}

const rowsOf = (events: ReadonlyArray<TraceEvent>, options: DiagramOptions): { rows: Row[]; hosts: string[] } => {
  const max = options.maxEvents ?? 400
  const maxText = options.maxText ?? 72
  const hosts: string[] = []
  const see = (h: string): void => {
    if (h !== 'sim' && !hosts.includes(h)) hosts.push(h)
  }
  const rows: Row[] = []
  for (const e of events.slice(0, max)) {
    see(e.from)
    see(e.to)
    const at = `[${seconds(e.at)}] `
    switch (e.kind) {
      case 'data':
        rows.push({ from: e.from, to: e.to, arrow: 'data', text: at + describeBytes(e.bytes!, maxText) })
        break
      case 'fin':
        rows.push({ from: e.from, to: e.to, arrow: 'fin', text: `${at}FIN` })
        break
      case 'reset':
        rows.push({ from: e.from, to: e.to, arrow: 'reset', text: `${at}reset: ${e.text ?? ''}` })
        break
      case 'connect':
        rows.push({ from: e.from, to: e.to, arrow: 'connect', text: `${at}connect (${e.conn})` })
        break
      case 'refused':
        rows.push({ from: e.from, to: e.to, arrow: 'refused', text: `${at}connection refused` })
        break
      default:
        rows.push({ from: e.from, to: e.from, arrow: 'note', text: `${at}${e.kind}${e.text ? `: ${e.text}` : ''}` })
    }
  }
  if (events.length > max)
    rows.push({
      from: hosts[0] ?? 'sim',
      to: hosts[0] ?? 'sim',
      arrow: 'note',
      text: `${events.length - max} more events`,
    })
  return { rows, hosts }
}

/** Mermaid wants no semicolons, hashes or line breaks in message text: write them as its entity codes. */
const mermaidText = (s: string): string => s.trimEnd().replace(/[#;<>]/g, (c) => `#${c.charCodeAt(0)};`)

/**
 * The trace as a Mermaid sequence diagram.
 * @example
 * const report = await runDirect({ seed: 1, profile: 'calm', keepTrace: true })
 * const text = mermaidSequence(report.trace!) // starts with "sequenceDiagram"
 */
export const mermaidSequence = (events: ReadonlyArray<TraceEvent>, options: DiagramOptions = {}): string => {
  const { rows, hosts } = rowsOf(events, options)
  const id = (h: string): string => `h${hosts.indexOf(h)}`
  const lines = ['sequenceDiagram']
  for (const h of hosts) lines.push(`  participant ${id(h)} as ${h}`)
  const arrows = { data: '->>', fin: '-)', reset: '-x', connect: '->>', refused: '-x' } as const
  for (const r of rows) {
    // a note of the simulation itself spans every participant
    const over = hosts.includes(r.from) ? id(r.from) : `${id(hosts[0]!)},${id(hosts[hosts.length - 1]!)}`
    if (r.arrow === 'note') lines.push(`  Note over ${over}: ${mermaidText(r.text)}`)
    else lines.push(`  ${id(r.from)}${arrows[r.arrow]}${id(r.to)}: ${mermaidText(r.text)}`)
  }
  return lines.join('\n') + '\n'
}

const xml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** The trace as a standalone SVG sequence diagram (lifelines, arrows, notes). */
export const svgSequence = (events: ReadonlyArray<TraceEvent>, options: DiagramOptions = {}): string => {
  const { rows, hosts } = rowsOf(events, options)
  const colW = 340
  const rowH = 22
  const top = 50
  const width = Math.max(1, hosts.length) * colW
  const height = top + rows.length * rowH + 30
  const x = (h: string): number => hosts.indexOf(h) * colW + colW / 2
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ]
  for (const h of hosts) {
    out.push(`<rect x="${x(h) - 110}" y="8" width="220" height="24" fill="#eef" stroke="#446"/>`)
    out.push(`<text x="${x(h)}" y="25" text-anchor="middle" font-weight="bold">${xml(h)}</text>`)
    out.push(`<line x1="${x(h)}" y1="32" x2="${x(h)}" y2="${height - 10}" stroke="#99a" stroke-dasharray="4 3"/>`)
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH
    if (r.arrow === 'note') {
      const cx = hosts.includes(r.from) ? x(r.from) : width / 2
      out.push(`<rect x="${cx - 150}" y="${y - 12}" width="300" height="16" fill="#ffc" stroke="#aa8"/>`)
      out.push(`<text x="${cx}" y="${y}" text-anchor="middle">${xml(r.text.slice(0, 48))}</text>`)
      return
    }
    const color = r.arrow === 'reset' || r.arrow === 'refused' ? '#c00' : r.arrow === 'fin' ? '#080' : '#000'
    const dash = r.arrow === 'fin' ? ' stroke-dasharray="6 3"' : ''
    const x1 = x(r.from)
    const x2 = x(r.to)
    const dir = x2 >= x1 ? 1 : -1
    out.push(`<line x1="${x1}" y1="${y + 4}" x2="${x2}" y2="${y + 4}" stroke="${color}"${dash}/>`)
    // the arrowhead, drawn as a triangle (markers are not drawn by every SVG renderer)
    out.push(`<path d="M${x2},${y + 4} l${-8 * dir},-4 v8 z" fill="${color}"/>`)
    const mid = (x(r.from) + x(r.to)) / 2
    out.push(`<text x="${mid}" y="${y}" text-anchor="middle" fill="${color}">${xml(r.text.slice(0, 56))}</text>`)
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}
