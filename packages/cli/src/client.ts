// The client of the runtime `smtpure send` runs on. It is kept apart from adapter.ts, which also loads the
// servers: bundled for Node, `send` then carries no server code (one process a message is a common way to
// run it, and every module less is start-up time saved).
import type { ClientSession, ConnectOptions } from '@smtpure/driver'

/** `connectSmtp` of an adapter: the same on every runtime. */
export type ConnectSmtp = (options: ConnectOptions) => Promise<ClientSession>

// named by a variable: loaded on their own runtimes, neither type-checked nor bundled for Node
const bunAdapter = '@smtpure/bun'
const denoAdapter = '@smtpure/deno'

/** Load this runtime's `connectSmtp`: Bun's or Deno's native sockets there, node:net and node:tls on Node. */
export const loadClient = async (): Promise<ConnectSmtp> =>
  (
    ('Bun' in globalThis
      ? await import(bunAdapter)
      : 'Deno' in globalThis
        ? await import(denoAdapter)
        : await import('./nodeClient.js')) as { connectSmtp: ConnectSmtp }
  ).connectSmtp
