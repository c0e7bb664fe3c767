// STARTTLS (RFC 3207 4): 220, then the driver upgrades the connection. Anything the client sent
// after the command in clear is thrown away, and the handshake resets the session to its start.
import { Replies } from '../../Reply.js'
import { type Out, bad, say } from '../effects.js'
import { startTls } from '../Output.js'
import { type ClientAttributes, type ServerState, update } from '../State.js'

export const onStartTls = (s: ServerState, out: Out, arg: string): ServerState => {
  if (s.tls) return bad(s, out, Replies.alreadyTls)
  if (arg !== '') return bad(s, out, Replies.noArguments) // RFC 3207 4: no parameters
  say(s, out, Replies.startTls)
  out.push(startTls)
  // Pipelined plaintext behind STARTTLS must never run (RFC 3207 5.2; CVE-2011-0411).
  return update(s, { phase: { _tag: 'TlsWait' }, held: [], heldBytes: 0, partial: undefined, overflow: false })
}

/**
 * The handshake is done: back to the start, knowing nothing the client said before (RFC 3207 4.2). The session
 * is no longer authenticated, by AUTH or by an XCLIENT LOGIN, which a later XCLIENT then does not bring back; the
 * other XCLIENT attributes describe the client still, as Postfix keeps them.
 */
export const onTlsStarted = (s: ServerState): ServerState =>
  update(s, {
    phase: { _tag: 'AwaitHello' },
    tls: true,
    authenticated: undefined,
    xclient: s.xclient?.login === undefined ? s.xclient : withoutLogin(s.xclient),
    held: [],
    heldBytes: 0,
    partial: undefined,
    overflow: false,
  })

const withoutLogin = ({ login: _login, ...rest }: ClientAttributes): ClientAttributes => rest
