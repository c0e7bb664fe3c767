// A discard SMTP server for client benchmarks: accepts everything, reads each body and drops it.
// Prints `listening on HOST:PORT`, like `smtpure serve`.
import { createSmtpServer } from '../dist/index.js'

const server = createSmtpServer({
  smtp: { hostname: 'sink.example', maxMessageSize: 0, maxBadCommands: 0 },
  hooks: {
    onMessage: async (m) => {
      for await (const chunk of m.chunks) void chunk
    },
  },
})
const address = await server.listen(0, '127.0.0.1')
console.log(`listening on ${address.address}:${address.port}`)
process.once('SIGTERM', () => void server.close(1000).then(() => process.exit(0)))
