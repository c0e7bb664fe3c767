// What happened in a simulation, in virtual-time order: every byte that crossed a link and every event
// (connections, closes, resets, TLS, faults, verdicts). A running hash of it all stands for the whole
// trace, so two runs of one seed compare in one number; the events are kept only when asked for.

/** One thing that happened, at `at` virtual milliseconds since the run began. */
export interface TraceEvent {
  readonly at: number
  /** The connection, `c1`, `c2`, ...; empty for events that belong to no connection. */
  readonly conn: string
  /** Who acted: a host name (`client-3`, `mx.example.net`) or `sim` for the scheduler itself. */
  readonly from: string
  /** Who was affected (the receiving end for `data`). */
  readonly to: string
  readonly kind: 'connect' | 'refused' | 'data' | 'fin' | 'reset' | 'tls' | 'fault' | 'crash' | 'restart' | 'result'
  /** Bytes for `data` (a copy), words for the rest. */
  readonly bytes?: Uint8Array
  readonly text?: string
}

const FNV_PRIME = 0x01000193

/** A running 64-bit hash (two FNV-1a lanes with different offsets) of the trace, and optionally its events. */
export class Trace {
  private a = 0x811c9dc5
  private b = 0x050c5d1f
  count = 0
  readonly events: TraceEvent[] | undefined

  constructor(keep: boolean) {
    this.events = keep ? [] : undefined
  }

  private mix(x: number): void {
    this.a = Math.imul(this.a ^ (x & 0xff), FNV_PRIME)
    this.b = Math.imul(this.b ^ ((x >>> 8) & 0xff) ^ (x & 0xff), 0x01000197)
  }

  private mixText(s: string): void {
    for (let i = 0; i < s.length; i++) this.mix(s.charCodeAt(i))
    this.mix(0x1f)
  }

  record(e: TraceEvent): void {
    this.count++
    this.mix(e.at & 0xffff)
    this.mix(e.at >>> 16)
    this.mixText(e.kind)
    this.mixText(e.conn)
    this.mixText(e.from)
    this.mixText(e.to)
    if (e.text !== undefined) this.mixText(e.text)
    if (e.bytes !== undefined) for (let i = 0; i < e.bytes.length; i++) this.mix(e.bytes[i]!)
    // kept events hold their own copy: the receiver may change the octets it was handed (a hook that wipes a
    // chunk once stored), and the trace must still show what crossed the link
    this.events?.push(e.bytes === undefined ? e : { ...e, bytes: e.bytes.slice() })
  }

  /** Sixteen hex digits. */
  hash(): string {
    return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0')
  }
}
