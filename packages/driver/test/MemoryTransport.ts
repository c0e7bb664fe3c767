// An in-memory Transport for driver tests: the test plays the client by pushing bytes and reading
// what the server wrote. Timers are virtual and fire only when the test says so.
import type { Runtime, TlsInfo, Transport, TransportEvents } from '../src/index.js'

export class MemoryTransport implements Transport {
  events: TransportEvents | undefined
  written: Uint8Array[] = []
  paused = false
  pauseCount = 0
  closed = false
  tlsStarted = 0
  remoteAddress = '192.0.2.1'
  remotePort = 40001
  localAddress = '192.0.2.25'
  localPort = 25
  tls: TlsInfo | undefined = undefined
  private waiters: Array<() => void> = []

  start(events: TransportEvents): void {
    this.events = events
  }
  /** When set, writes are kept but never taken: a peer that does not read. */
  blocked: Promise<void> | undefined
  write(bytes: Uint8Array): true | Promise<void> {
    this.written.push(bytes.slice())
    for (const w of this.waiters.splice(0)) w()
    return this.blocked ?? true
  }
  pause(): void {
    if (!this.paused) this.pauseCount++
    this.paused = true
  }
  resume(): void {
    this.paused = false
  }
  startTls(): Promise<TlsInfo> {
    this.tlsStarted++
    this.tls = {
      protocol: 'TLSv1.3',
      cipher: 'TLS_AES_128_GCM_SHA256',
      servername: 'mx.example.com',
      authorized: false,
    }
    return Promise.resolve(this.tls)
  }
  close(): void {
    this.closed = true
    for (const w of this.waiters.splice(0)) w()
  }
  send(text: string | Uint8Array): void {
    this.events!.data(typeof text === 'string' ? new TextEncoder().encode(text) : text)
  }
  text(): string {
    return this.written.map((b) => Buffer.from(b).toString('latin1')).join('')
  }
  /** Wait until the server has written something that matches. */
  async until(pattern: RegExp, ms = 2000): Promise<string> {
    const deadline = Date.now() + ms
    while (!pattern.test(this.text())) {
      if (this.closed || Date.now() > deadline) throw new Error(`no ${pattern} in ${JSON.stringify(this.text())}`)
      await new Promise<void>((r) => {
        this.waiters.push(r)
        setTimeout(r, 20)
      })
    }
    return this.text()
  }
}

export const testRuntime = (): Runtime & { fire: () => void; armed: () => number } => {
  const pending = new Map<number, () => void>()
  let next = 0
  return {
    setTimer: (_ms, fire) => {
      const id = next++
      pending.set(id, fire)
      return () => pending.delete(id)
    },
    randomToken: () => `tok${next++}`,
    now: () => ({ epochMs: Date.UTC(2008, 0, 15, 21, 2, 43), offsetMinutes: -300 }),
    /** Timers set and neither cancelled nor fired. */
    armed: () => pending.size,
    fire: () => {
      for (const [id, f] of [...pending]) {
        pending.delete(id)
        f()
      }
    },
  }
}
