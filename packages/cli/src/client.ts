// The client of the runtime `smtpure send` runs on. It is kept apart from adapter.ts, which also loads the
// servers: bundled for Node, `send` then carries no server code (one process a message is a common way to
// run it, and every module less is start-up time saved).
import type { ClientSession, ConnectOptions } from '@smtpure/driver'

/** `connectSmtp` of an adapter: the same on every runtime. */
export type ConnectSmtp = (options: ConnectOptions) => Promise<ClientSession>

/**
 * Bun's or Deno's adapter when the command runs there, undefined on Node. Loaded by this name (a variable), it
 * is neither type-checked nor bundled for Node: those adapters ship TypeScript for their own runtimes.
 */
export const nativeAdapter = (): string | undefined =>
  'Bun' in globalThis ? '@smtpure/bun' : 'Deno' in globalThis ? '@smtpure/deno' : undefined

/** Load this runtime's `connectSmtp`: Bun's or Deno's native sockets there, node:net and node:tls on Node. */
export const loadClient = async (): Promise<ConnectSmtp> => {
  const native = nativeAdapter()
  const adapter = (native !== undefined ? await import(native) : await import('./nodeClient.js')) as {
    connectSmtp: ConnectSmtp
  }
  return adapter.connectSmtp
}
