// @smtpure/deno: smtpure on Deno.listen, Deno.connect and Deno.startTls (servers with a certificate on
// Deno's node:tls), with the application API of every adapter.
export { DenoTransport, type DenoTlsRole } from './DenoTransport.ts'
export { denoRuntime } from './runtime.ts'
export { createSmtpServer } from './server.ts'
export { connectSmtp } from './client.ts'
export type { ConnectOptions, ListenAddress, SmtpServer, SmtpServerOptions, TlsFiles } from '@smtpure/driver'
