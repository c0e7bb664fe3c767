// One very large message (default 1 GiB) from smtpure's client to smtpure's server (the discard sink,
// a separate process), streamed both ways: shows that memory stays bounded (backpressure on both
// sides) and reports the rate. Run after `npx turbo run build`: node packages/node/bench/big.bench.mjs [--mib N]
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { URL, fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { connectSmtp } from '../dist/index.js'

const { values } = parseArgs({ options: { mib: { type: 'string' } } })
const MIB = Number(values.mib ?? 1024)
const CHUNK = 64 * 1024
const line = `${'y'.repeat(1022)}\r\n`
const block = new TextEncoder().encode(line.repeat(CHUNK / line.length))

async function* body() {
  for (let sent = 0; sent < MIB * 1024 * 1024; sent += block.length) yield block
}

const peakRss = (pid) => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

const child = spawn(process.execPath, [fileURLToPath(new URL('sink.mjs', import.meta.url))], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
const port = await new Promise((resolve) =>
  child.stdout.on('data', (d) => {
    const m = /listening on [0-9.]+:(\d+)/.exec(String(d))
    if (m) resolve(Number(m[1]))
  }),
)
try {
  const t0 = performance.now()
  const session = await connectSmtp({ host: '127.0.0.1', port, smtp: { helo: 'bench.example' } })
  await session.ready
  const r = await session.send({ envelope: { from: 'a@example.org', to: ['b@example.com'] }, body: body() })
  const seconds = (performance.now() - t0) / 1000
  await session.quit()
  if (r.status !== 'accepted') throw new Error(`message ${r.status}`)
  console.log(`big message: ${MIB} MiB from connectSmtp to createSmtpServer (separate processes)`)
  console.log(`  ${(MIB / seconds).toFixed(0)} MiB/s`)
  console.log(`  peak RSS: server ${peakRss(child.pid).toFixed(0)} MiB, client ${peakRss(process.pid).toFixed(0)} MiB`)
} finally {
  child.kill('SIGTERM')
}
