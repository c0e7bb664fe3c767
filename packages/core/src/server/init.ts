// A new server session: the greeting (RFC 5321 3.1, 4.3.1) and the first idle timer.
import type { ServerConfig } from '../Config.js'
import { type Reply, formatReply } from '../Reply.js'
import { encode } from '../wire/bytes.js'
import { type ServerOutput, send, setTimer } from './Output.js'
import type { ServerState } from './State.js'

/** What the driver knows about one connection before it starts. */
export interface Connection {
  /** The connection is TLS from the start (implicit TLS, RFC 8314 3.3). */
  readonly tls?: boolean
  /** A fresh random value for CRAM-MD5 challenges (RFC 2195 2). */
  readonly nonce?: string
  /** Refuse service: greet with this 554 reply and accept only QUIT (RFC 5321 3.1). */
  readonly refuse?: Reply
  /** The client is trusted to send XCLIENT (Postfix's XCLIENT_README): offer it and accept it. */
  readonly xclient?: boolean
}

/**
 * Start a server session.
 * @example
 * const [state, outputs] = init(config, { nonce: '8f2c1a' })
 */
export const init = (
  config: ServerConfig,
  conn: Connection = {},
): readonly [ServerState, ReadonlyArray<ServerOutput>] => {
  const state: ServerState = {
    config,
    phase: conn.refuse !== undefined ? { _tag: 'Refused' } : { _tag: 'AwaitHello' },
    tls: conn.tls ?? false,
    authenticated: undefined,
    partial: undefined,
    overflow: false,
    pending: undefined,
    held: [],
    heldBytes: 0,
    paused: false,
    badCommands: 0,
    nextId: 1,
    nonce: conn.nonce ?? '0',
    authAttempts: 0,
    authFailures: 0,
    delayed: undefined,
    junkCommands: 0,
    messages: 0,
    dataWindow: 0,
    stopping: false,
    xclient: conn.xclient === true ? {} : undefined,
  }
  // The greeting never carries an enhanced code (RFC 2034 3).
  const greeting = conn.refuse ?? { code: 220, lines: [config.greeting] }
  return [state, [send(encode(formatReply(greeting, false))), setTimer('idle', config.idleTimeoutMs)]]
}
