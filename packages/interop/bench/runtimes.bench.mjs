// Runtime benchmark: the same server and client scenarios on Node, Bun and Deno, next to npm
// smtp-server and nodemailer, in one run. Servers: `smtpure serve` on each runtime and smtp-server
// (packages/node/bench/peer-server.mjs) under the load generator of packages/node/bench/load.mjs.
// Clients: connectSmtp on each runtime and nodemailer against the canned-reply sink. Figures are
// medians over rounds run in rotating order; ratios are against Node and against the npm peer.
// After `npx turbo run build`: node packages/interop/bench/runtimes.bench.mjs [--rounds N] [--only a,c,client]
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

const here = import.meta.dirname
const root = resolve(here, '../../..')
const nodeBench = join(root, 'packages/node/bench')
const cli = join(root, 'packages/cli/dist/main.cjs')
const bin = (name) => join(root, 'node_modules/.bin', name)
const denoRun = ['run', '--allow-net', '--allow-read', '--allow-write', '--allow-sys=hostname', '--allow-env']
const MiB = 1024 * 1024

const { values } = parseArgs({ options: { rounds: { type: 'string' }, only: { type: 'string' } } })
const ROUNDS = Number(values.rounds ?? 3)
const only = values.only ? new Set(values.only.split(',')) : undefined

const servers = {
  'smtpure on node': [process.execPath, [cli, 'serve']],
  'smtpure on bun': [bin('bun'), [cli, 'serve']],
  'smtpure on deno': [bin('deno'), [...denoRun, cli, 'serve']],
  'smtp-server (node)': [process.execPath, [join(nodeBench, 'peer-server.mjs')]],
}
// the same servers without the disk: each reads every message to its end and says 250
const discard = join(here, 'discard-server.mjs')
const discarding = {
  'smtpure on node': [process.execPath, [discard]],
  'smtpure on bun': [bin('bun'), [discard]],
  'smtpure on deno': [bin('deno'), [...denoRun, discard]],
  // the Node adapter on Bun's and Deno's node:net layers: what the native adapters gain
  '@smtpure/node on bun': [bin('bun'), [discard, '--adapter', '@smtpure/node']],
  '@smtpure/node on deno': [bin('deno'), [...denoRun, discard, '--adapter', '@smtpure/node']],
  'smtp-server (node)': [process.execPath, [discard, '--peer']],
}
const clients = {
  'smtpure on node': [process.execPath, []],
  'smtpure on bun': [bin('bun'), []],
  'smtpure on deno': [bin('deno'), denoRun],
  'nodemailer (node)': [process.execPath, [], ['--nodemailer']],
}
const small = { sessions: 10, messages: 3000, size: 1024, warm: 500 }
const big = { sessions: 1, messages: 1, size: 50 * MiB, warm: 1, warmSize: 5 * MiB }
const scenarios = [
  { id: 'a', title: '(a) smtpure serve, Maildir: 3000 x 1 KB over 10 sessions', servers, ...small },
  { id: 'c', title: '(c) smtpure serve, Maildir: one 50 MB message', servers, ...big },
  { id: 'e', title: '(e) discarding server: 3000 x 1 KB over 10 sessions', servers: discarding, ...small },
  { id: 'f', title: '(f) discarding server: one 50 MB message', servers: discarding, ...big },
]

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const peakRss = (pid) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024

/** Start a process that prints `listening on HOST:PORT`; resolves with it and its port. */
const listening = (cmd, args) =>
  new Promise((done, fail) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.once('exit', (code) => fail(new Error(`${cmd} exited ${code} before listening`)))
    child.stdout.on('data', (d) => {
      out += d
      const m = /listening on [0-9.]+:(\d+)/.exec(out)
      if (m) done({ child, port: Number(m[1]) })
    })
  })

/** Run a process to its end and parse the JSON line it prints. */
const json = (cmd, args) =>
  new Promise((done, fail) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.once('exit', (code) => (code === 0 ? done(JSON.parse(out)) : fail(new Error(`${args.join(' ')}: ${code}`))))
  })

const load = (port, s, messages = s.messages, size = s.size) =>
  json(process.execPath, [
    join(nodeBench, 'load.mjs'),
    `127.0.0.1:${port}`,
    ...['--sessions', s.sessions, '--messages', messages, '--size', size].map(String),
  ])

const stop = async (child) => {
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 15000)
  await exited
  clearTimeout(timer)
}

/** Print a table: one row per contestant, its figure and its ratios to the two references. */
const table = (title, unit, rows, node, peer) => {
  console.log(`\n${title}, median of ${ROUNDS} rounds`)
  for (const [name, r] of Object.entries(rows)) {
    const rss = r.rss === undefined ? '' : `  peak RSS ${r.rss.toFixed(0).padStart(4)} MiB`
    const ratios = `x${(r.rate / rows[node].rate).toFixed(2)} vs node, x${(r.rate / rows[peer].rate).toFixed(2)} vs peer`
    console.log(`  ${name.padEnd(22)} ${r.rate.toFixed(1).padStart(8)} ${unit}${rss}   ${ratios}`)
  }
}

const serverScenario = async (s) => {
  const started = {}
  const dirs = []
  for (const [name, [cmd, args]] of Object.entries(s.servers)) {
    const extra = []
    if (s.servers === servers) {
      const dir = await mkdtemp(join(tmpdir(), 'smtpure-rt-bench-'))
      dirs.push(dir)
      extra.push('--port', '0', '--maildir', dir, '--max-size', String(64 * MiB))
    }
    started[name] = await listening(cmd, [...args, ...extra])
  }
  try {
    for (const { port } of Object.values(started)) await load(port, s, s.warm, s.warmSize ?? s.size)
    const rates = Object.fromEntries(Object.keys(started).map((n) => [n, []]))
    const names = Object.keys(started)
    for (let r = 0; r < ROUNDS; r++) {
      // rotate the order so that no server always runs first or last
      for (const name of [...names.slice(r % names.length), ...names.slice(0, r % names.length)]) {
        const report = await load(started[name].port, s)
        if (report.accepted !== s.messages) throw new Error(`${name}: ${report.accepted} of ${s.messages} accepted`)
        rates[name].push(s.size >= MiB ? report.mbPerSecond : report.messagesPerSecond)
      }
    }
    const rows = Object.fromEntries(
      names.map((n) => [n, { rate: median(rates[n]), rss: peakRss(started[n].child.pid) }]),
    )
    table(`server ${s.title}`, s.size >= MiB ? 'MB/s  ' : 'msgs/s', rows, 'smtpure on node', 'smtp-server (node)')
  } finally {
    await Promise.all(Object.values(started).map(({ child }) => stop(child)))
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  }
}

const clientScenario = async () => {
  const sink = await listening(process.execPath, [join(nodeBench, 'rawsink.mjs')])
  try {
    const script = join(here, 'client-load.mjs')
    const run = ([cmd, pre, extra = []]) => json(cmd, [...pre, script, '--port', String(sink.port), ...extra])
    const names = Object.keys(clients)
    for (const name of names) await run(clients[name]) // warm the sink and the file cache
    const times = Object.fromEntries(names.map((n) => [n, []]))
    for (let r = 0; r < ROUNDS; r++)
      for (const name of [...names.slice(r % names.length), ...names.slice(0, r % names.length)])
        times[name].push((await run(clients[name])).seconds)
    const rows = Object.fromEntries(names.map((n) => [n, { rate: 3000 / median(times[n]) }]))
    table(
      'client: 3000 x 1 KB handed at once to one connection, canned-reply sink',
      'msgs/s',
      rows,
      'smtpure on node',
      'nodemailer (node)',
    )
  } finally {
    await stop(sink.child)
  }
}

for (const s of scenarios) if (!only || only.has(s.id)) await serverScenario(s)
if (!only || only.has('client')) await clientScenario()
