// A new client session: nothing is sent until the server's greeting arrives (RFC 5321 3.1), and the
// greeting timer runs from the start (RFC 5321 4.5.3.2.1).
import type { ClientConfig } from './Config.js'
import { type ClientOutput, setTimer } from './Output.js'
import { replyParserInit } from './replyParser.js'
import type { ClientState } from './State.js'

/**
 * Start a client session on a connection that has just opened.
 * @example
 * const config = clientConfig({ helo: 'client.example.org' })
 * if (config._tag === 'Right') {
 *   const [state, outputs] = clientInit(config.right)
 * }
 */
export const clientInit = (config: ClientConfig): readonly [ClientState, ReadonlyArray<ClientOutput>] => {
  const state: ClientState = {
    config,
    phase: { _tag: 'Greeting' },
    parser: replyParserInit,
    tls: config.implicitTls,
    capabilities: undefined,
    authenticated: false,
    quitWhenReady: false,
    timer: true,
    staleBody: false,
    xclientSent: false,
  }
  return [state, [setTimer(config.timeouts.greeting)]]
}
