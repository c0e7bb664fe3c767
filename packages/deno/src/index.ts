// @smtpure/deno: smtpure on Deno.listen, Deno.listenTls, Deno.connect and Deno.startTls, with the
// application API of every adapter.
export { DenoTransport, type DenoTlsRole } from './DenoTransport.ts'
export { denoRuntime } from './runtime.ts'
export { createSmtpServer } from './server.ts'
export { connectSmtp } from './client.ts'
export type { ConnectOptions, ListenAddress, SmtpServer, SmtpServerOptions, TlsFiles } from '@smtpure/driver'
