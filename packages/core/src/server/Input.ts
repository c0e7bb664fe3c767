// What happened to the server session: bytes arrived, the application answered, TLS came up, a
// timer fired, the peer went away, or the server is shutting down. Inputs are past tense.
import type { Answer, TimerName } from './Output.js'

export type ServerInput =
  /** Bytes from the client. The session may keep views of them: do not reuse the buffer. */
  | { readonly _tag: 'Received'; readonly bytes: Uint8Array }
  | { readonly _tag: 'Answered'; readonly id: number; readonly answer: Answer }
  | { readonly _tag: 'TlsStarted' }
  | { readonly _tag: 'TimerFired'; readonly timer: TimerName }
  | { readonly _tag: 'PeerClosed' }
  | { readonly _tag: 'Shutdown' }
  /** The server is stopping gracefully: 421 as soon as no transaction is in progress (RFC 5321 3.8). */
  | { readonly _tag: 'StopRequested' }

export const received = (bytes: Uint8Array): ServerInput => ({ _tag: 'Received', bytes })
export const answered = (id: number, answer: Answer): ServerInput => ({ _tag: 'Answered', id, answer })
export const tlsStarted: ServerInput = { _tag: 'TlsStarted' }
export const timerFired = (timer: TimerName): ServerInput => ({ _tag: 'TimerFired', timer })
export const peerClosed: ServerInput = { _tag: 'PeerClosed' }
export const shutdown: ServerInput = { _tag: 'Shutdown' }
export const stopRequested: ServerInput = { _tag: 'StopRequested' }
