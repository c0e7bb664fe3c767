// The output collector both sessions use within one step: text (replies or command lines) is
// joined into one Send until another output comes, so a pipelined group leaves in one write
// (RFC 2920 3.1, 3.2).
import { encode } from './bytes.js'

export class Outbox<O> {
  private readonly list: O[] = []
  private pending = ''

  /** `known`: bytes already made for some texts (see `cannedBytes`), sent as they are when the text is one of them. */
  constructor(
    private readonly send: (bytes: Uint8Array) => O,
    private readonly known?: ReadonlyMap<string, Uint8Array>,
  ) {}

  /** Text to write, joined with the text before it. */
  write(text: string): void {
    this.pending += text
  }

  push(o: O): void {
    this.flush()
    this.list.push(o)
  }

  /** Nothing was written or pushed yet. */
  isEmpty(): boolean {
    return this.list.length === 0 && this.pending === ''
  }

  done(): ReadonlyArray<O> {
    this.flush()
    return this.list
  }

  private flush(): void {
    if (this.pending === '') return
    this.list.push(this.send(this.known?.get(this.pending) ?? encode(this.pending)))
    this.pending = ''
  }
}
