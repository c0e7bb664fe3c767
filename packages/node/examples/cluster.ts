// Every core behind a load balancer: one server per worker (node:cluster shares the port), the client
// address taken from the balancer's PROXY header, LIMITS advertised, a graceful stop on SIGTERM.
import cluster from 'node:cluster'
import { availableParallelism } from 'node:os'
import { createSmtpServer } from '@smtpure/node'

if (cluster.isPrimary) {
  for (let i = 0; i < availableParallelism(); i++) cluster.fork()
  cluster.on('exit', (_worker, code) => {
    if (code !== 0) cluster.fork() // a worker that died is replaced
  })
  process.once('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM')
  })
} else {
  const server = createSmtpServer({
    smtp: { hostname: 'mx1.example', limits: true },
    proxy: { trusted: ['10.0.0.2'] }, // the HAProxy host
    hooks: {
      onMessage: async (message, session) => {
        // session.remoteAddress is the client's address from the PROXY header, not the balancer's
        for await (const chunk of message.chunks) void chunk
        console.log(`message from ${session.remoteAddress}`)
      },
    },
  })
  await server.listen(2525, '0.0.0.0')
  // stop accepting, let transactions finish, 421 to the rest by the deadline
  process.once('SIGTERM', () => void server.close(10000).then(() => process.exit(0)))
}
