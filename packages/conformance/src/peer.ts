// A raw SMTP peer on node:net (available on Node, Bun and Deno alike): writes exactly the bytes a
// test gives it and collects the replies, so a test can misbehave where a real client would not.
import * as net from 'node:net'
import * as tls from 'node:tls'

const latin1 = new TextDecoder('latin1')

export class RawPeer {
  private text = ''
  private waiters: Array<() => void> = []
  /** The socket's errors (a reset, EPIPE), by code. */
  readonly errors: string[] = []
  readonly closed: Promise<void>

  private readonly onData = (d: Uint8Array): void => {
    this.text += latin1.decode(d)
    this.wake()
  }

  private constructor(public socket: net.Socket) {
    socket.on('data', this.onData)
    socket.on('error', (e: NodeJS.ErrnoException) => void this.errors.push(e.code ?? e.message))
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

  /** Connect to 127.0.0.1:`port`; `allowHalfOpen` keeps this side open for writing after the server's FIN. */
  static connect(port: number, allowHalfOpen = false): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen }, () => resolve(new RawPeer(s)))
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

  /**
   * After the server's 220 to STARTTLS: the client side of the handshake (node:tls, on every runtime), with
   * `options` (servername, ca, a client certificate). What the server says from then on is read decrypted.
   */
  startTls(options: tls.ConnectionOptions): Promise<tls.TLSSocket> {
    const raw = this.socket
    raw.off('data', this.onData)
    return new Promise((resolve, reject) => {
      const secure = tls.connect({ ...options, socket: raw }, () => {
        secure.off('error', reject)
        resolve(secure)
      })
      secure.once('error', reject)
      secure.on('error', () => undefined)
      secure.on('data', this.onData)
      secure.on('close', () => this.wake())
      this.socket = secure
    })
  }

  /** Close at once, as a client that vanishes (no QUIT, no FIN wait). */
  vanish(): void {
    this.socket.destroy()
  }
}
