// An SMTP client on this runtime's adapter for the interop tests: sends one message (standard
// input) and prints the result as one JSON line. Arguments: --port N [--security S] [--ca FILE]
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { concat } from '@smtpure/core'
import { adapter } from './adapter.mjs'

const { values: v } = parseArgs({
  options: { port: { type: 'string' }, security: { type: 'string' }, ca: { type: 'string' } },
})
const chunks = []
for await (const c of process.stdin) chunks.push(new Uint8Array(c))
const session = await adapter.connectSmtp({
  host: '127.0.0.1',
  port: Number(v.port),
  servername: 'localhost',
  security: v.security ?? 'none',
  ...(v.ca ? { ca: readFileSync(v.ca, 'utf8') } : {}),
  smtp: { helo: 'client.example' },
})
const ready = await session.ready
const result = await session.send({
  envelope: { from: 'bob@example.org', to: ['alice@example.com'] },
  body: concat(chunks),
})
await session.quit()
console.log(JSON.stringify({ tls: ready.tls, status: result.status, reply: result.reply }))
