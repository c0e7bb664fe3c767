// The adapter of the runtime the command runs on: Bun's and Deno's native sockets where the command
// runs on Bun or Deno, node:net and node:tls on Node. All three offer the same application API.
import type { ClientSession, ConnectOptions, SmtpServer, SmtpServerOptions } from '@smtpure/driver'

export interface Adapter {
  createSmtpServer(options: SmtpServerOptions): SmtpServer
  connectSmtp(options: ConnectOptions): Promise<ClientSession>
}

/** The package name of this runtime's adapter. */
export const adapterName = (): string =>
  'Bun' in globalThis ? '@smtpure/bun' : 'Deno' in globalThis ? '@smtpure/deno' : '@smtpure/node'

// Bun's and Deno's adapters ship TypeScript for their own runtimes: named by a variable, they are loaded
// there but neither type-checked nor bundled for Node, whose adapter is named outright.
const bunAdapter = '@smtpure/bun'
const denoAdapter = '@smtpure/deno'

/** Load this runtime's adapter (only the one in use is loaded: the others need their runtime). */
export const loadAdapter = async (): Promise<Adapter> =>
  ('Bun' in globalThis
    ? await import(bunAdapter)
    : 'Deno' in globalThis
      ? await import(denoAdapter)
      : await import('@smtpure/node')) as Adapter
