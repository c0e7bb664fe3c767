// A raw SMTP peer on node:net (available on Node, Bun and Deno alike): writes exactly the bytes a
// test gives it and collects the replies, so a test can misbehave where a real client would not.
import * as net from 'node:net'

const latin1 = new TextDecoder('latin1')

export class RawPeer {
  private text = ''
  private waiters: Array<() => void> = []
  readonly closed: Promise<void>

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Uint8Array) => {
      this.text += latin1.decode(d)
      this.wake()
    })
    socket.on('error', () => undefined)
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        resolve()
        this.wake()
      }),
    )
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w()
  }

  /** Connect to 127.0.0.1:`port`. */
  static connect(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawPeer(s)))
      s.once('error', reject)
    })
  }

  /** Everything the server said so far (latin1). */
  get received(): string {
    return this.text
  }

  /** Wait until what was received matches `pattern` (or the connection closed, or `ms` passed). */
  async until(pattern: RegExp, ms = 20000): Promise<string> {
    const deadline = Date.now() + ms
    while (!pattern.test(this.text)) {
      if (this.socket.destroyed || Date.now() > deadline)
        throw new Error(`no ${pattern} from the server; it said:\n${this.text.slice(-2000)}`)
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve)
        setTimeout(resolve, 100)
      })
    }
    return this.text
  }

  /** Count of complete replies (a final line: code and a space) received so far. */
  replies(): number {
    return (this.text.match(/^\d{3} /gm) ?? []).length
  }

  write(data: string | Uint8Array): boolean {
    return this.socket.write(data)
  }

  /** Close at once, as a client that vanishes (no QUIT, no FIN wait). */
  vanish(): void {
    this.socket.destroy()
  }
}
