// A discarding SMTP server for the runtime benchmark, so that sockets and the protocol show rather
// than the disk: smtpure's createSmtpServer from the adapter of the runtime that runs it, or (`--peer`,
// on Node) npm smtp-server set up the same way. Both read every message to its end and say 250.
// `--adapter NAME` loads another adapter (`@smtpure/node` on Bun or Deno: their node:net layers).
// Usage: <runtime> discard-server.mjs [--peer | --adapter NAME]   (prints `listening on HOST:PORT`)
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { peer: { type: 'boolean' }, adapter: { type: 'string' } } })
const limit = 64 * 1024 * 1024

if (values.peer) {
  const { SMTPServer } = await import('smtp-server')
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: limit,
    onData: (stream, _session, done) => {
      stream.on('data', () => undefined)
      stream.on('end', () => done())
    },
  })
  server.listen(0, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${server.server.address().port}`))
} else {
  const { adapter } = values.adapter
    ? { adapter: await import(values.adapter) }
    : await import('../scripts/adapter.mjs')
  const server = adapter.createSmtpServer({
    smtp: { hostname: 'bench.example', maxMessageSize: limit },
    hooks: {
      onMessage: async (m) => {
        for await (const _ of m.chunks) void _
      },
    },
  })
  const { address, port } = await server.listen(0, '127.0.0.1')
  console.log(`listening on ${address}:${port}`)
}
