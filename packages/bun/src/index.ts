// @smtpure/bun: smtpure on Bun.listen and Bun.connect, with the application API of every adapter.
export { BunTransport, type BunTlsRole, type BunTransportOptions } from './BunTransport.ts'
export { bunRuntime } from './runtime.ts'
export { createSmtpServer } from './server.ts'
export { connectSmtp } from './client.ts'
export type { ConnectOptions, ListenAddress, SmtpServer, SmtpServerOptions, TlsFiles } from '@smtpure/driver'
