// Two in-memory transports wired to each other, delivering bytes asynchronously and in order.
import type { TlsInfo, Transport, TransportEvents } from '../src/index.js'

class End implements Transport {
  events: TransportEvents | undefined
  peer!: End
  paused = false
  closedFlag = false
  tls: TlsInfo | undefined = undefined
  private inbox: Uint8Array[] = []
  constructor(readonly remoteAddress: string) {}
  start(events: TransportEvents): void {
    this.events = events
    this.flush()
  }
  write(bytes: Uint8Array): true {
    if (this.closedFlag) return true
    const copy = bytes.slice()
    setImmediate(() => this.peer.deliver(copy))
    return true
  }
  deliver(bytes: Uint8Array): void {
    if (this.closedFlag) return
    this.inbox.push(bytes)
    this.flush()
  }
  private flush(): void {
    while (!this.paused && this.events && this.inbox.length > 0) this.events.data(this.inbox.shift()!)
  }
  pause(): void {
    this.paused = true
  }
  resume(): void {
    this.paused = false
    this.flush()
  }
  startTls(): Promise<TlsInfo> {
    this.tls = { protocol: 'memory' }
    this.inbox = [] // nothing read in clear survives the upgrade
    return Promise.resolve(this.tls)
  }
  close(): void {
    if (this.closedFlag) return
    this.closedFlag = true
    setImmediate(() => {
      this.events?.closed()
      this.peer.hangup()
    })
  }
  hangup(): void {
    if (this.closedFlag) return
    this.closedFlag = true
    this.events?.closed()
  }
}

export const memoryPair = (): { client: Transport; server: Transport } => {
  const client = new End('192.0.2.10')
  const server = new End('192.0.2.20')
  client.peer = server
  server.peer = client
  return { client, server }
}
