// The adapter of the runtime the command runs on: Bun's and Deno's native sockets where the command
// runs on Bun or Deno, node:net and node:tls on Node. All three offer the same application API.
import type { ClientSession, ConnectOptions, SmtpServer, SmtpServerOptions } from '@smtpure/driver'
import { nativeAdapter } from './client.js'

export interface Adapter {
  createSmtpServer(options: SmtpServerOptions): SmtpServer
  connectSmtp(options: ConnectOptions): Promise<ClientSession>
}

/** The package name of this runtime's adapter. */
export const adapterName = (): string => nativeAdapter() ?? '@smtpure/node'

/** Load this runtime's adapter (only the one in use is loaded: the others need their runtime). */
export const loadAdapter = async (): Promise<Adapter> => {
  const native = nativeAdapter()
  return (native !== undefined ? await import(native) : await import('@smtpure/node')) as Adapter
}
