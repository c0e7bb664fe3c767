// @smtpure/node: smtpure on node:net and node:tls.
export { NodeTransport, type TlsRole } from './NodeTransport.js'
export { nodeRuntime } from './runtime.js'
export { createSmtpServer, type SmtpServer, type SmtpServerOptions, type TlsFiles } from './server.js'
export { connectSmtp, type ConnectOptions } from './client.js'
export { type ProxyOptions, readProxyHeader, proxiedTransport, trustedSources } from './proxy.js'
