// The output collector both sessions use within one step: text (replies or command lines) is
// joined into one Send until another output comes, so a pipelined group leaves in one write
// (RFC 2920 3.1, 3.2).
import { concat, encode } from './bytes.js'

export class Outbox<O> {
  private readonly list: O[] = []
  /** The texts written since the last output, to leave in one Send. */
  private pieces: string[] = []

  /** `known`: bytes already made for some texts (see `cannedBytes`), sent as they are when the text is one of them. */
  constructor(
    private readonly send: (bytes: Uint8Array) => O,
    private readonly known?: ReadonlyMap<string, Uint8Array>,
  ) {}

  /** Text to write, joined with the text before it. */
  write(text: string): void {
    if (text !== '') this.pieces.push(text)
  }

  push(o: O): void {
    this.flush()
    this.list.push(o)
  }

  /** Nothing was written or pushed yet. */
  isEmpty(): boolean {
    return this.list.length === 0 && this.pieces.length === 0
  }

  done(): ReadonlyArray<O> {
    this.flush()
    return this.list
  }

  /** One text's bytes: made once where known, else encoded now. */
  private bytesOf(text: string): Uint8Array {
    return this.known?.get(text) ?? encode(text)
  }

  // Pieces are joined as bytes, not as text: a canned reply's bytes are copied as they are, and no string made
  // of pieces is flattened and encoded one character at a time (a pipelined group's replies are mostly canned).
  private flush(): void {
    const pieces = this.pieces
    if (pieces.length === 0) return
    this.pieces = []
    // with no canned bytes to reuse (a client's commands) the texts are encoded once, together
    const bytes = this.known === undefined ? encode(pieces.join('')) : concat(pieces.map((t) => this.bytesOf(t)))
    this.list.push(this.send(bytes))
  }
}
