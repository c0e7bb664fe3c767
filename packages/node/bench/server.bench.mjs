// Benchmark driver: `smtpure serve` against npm smtp-server (peer-server.mjs) under the same load
// (load.mjs), in alternating order over several rounds; prints the medians, peak RSS and smtpure/peer ratios.
// After `npx turbo run build`: node packages/node/bench/server.bench.mjs [--only a,b,c,d] [--rounds N] [--profile DIR]
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { buildMessage } from './load.mjs'

const here = import.meta.dirname
const cli = resolve(here, '../../cli/dist/main.cjs')
const MiB = 1024 * 1024
const MAX_SIZE = 64 * MiB // both servers get the same limit, above the 50 MB message of (c)
const BUDGET_SECONDS = 50 // per scenario, for the measured rounds; the whole run stays under about 3 minutes

const servers = {
  smtpure: [cli, 'serve'],
  peer: [join(here, 'peer-server.mjs')],
}

// `target` is the smtpure/peer rate the task asks for; null marks a row shown for information only.
const scenarios = [
  { id: 'a', title: '(a) 1 KB, 10 sessions', sessions: 10, messages: 3000, size: 1024, target: 1.5 },
  { id: 'b', title: '(b) 1 KB, 10 + 500 idle', sessions: 10, messages: 3000, size: 1024, hold: 500, target: 1.5 },
  { id: 'c', title: '(c) 50 MB, 1 session', sessions: 1, messages: 1, size: 50 * MiB, target: 1.2, mb: true },
  { id: 'd', title: '(d) 50 MB, dots 1/16', sessions: 1, messages: 1, size: 50 * MiB, dotEvery: 16, mb: true },
].map((s) => ({ hold: 0, dotEvery: 0, target: null, ...s }))
const warmup = {
  a: { messages: 500, size: 1024 },
  b: { messages: 500, size: 1024 },
  c: { messages: 1, size: 5 * MiB },
  d: { messages: 1, size: 5 * MiB },
}

const peerVersion = () =>
  JSON.parse(readFileSync(resolve(here, '../../../node_modules/smtp-server/package.json'), 'utf8')).version

/** Spawn a server on a free port; resolves once it printed `listening on HOST:PORT`. */
const startServer = (name, maildir, profileDir) =>
  new Promise((resolveStart, reject) => {
    const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name)}`] : []
    const args = [...profile, ...servers[name], '--port', '0', '--maildir', maildir, '--max-size', String(MAX_SIZE)]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before listening`)))
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (text) => {
      out += text
      const m = /^listening on (.+):(\d+)\n/.exec(out)
      if (m) resolveStart({ name, child, maildir, target: `${m[1]}:${m[2]}`, startRss: rssMb(child.pid, 'VmRSS') })
    })
  })

/** Throw unless the server process is still running (its /proc entry is about to be read). */
const checkAlive = (server) => {
  const { exitCode, signalCode } = server.child
  if (exitCode !== null || signalCode !== null)
    throw new Error(`${server.name} died during the run (${signalCode ?? `exit code ${exitCode}`})`)
}

/** Resident set size in MB: `VmHWM` for the peak so far, `VmRSS` for now. */
const rssMb = (pid, field = 'VmHWM') => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

/** CPU time (user + system, all threads) a process has used so far, in seconds (clock ticks of 1/100 s). */
const cpuSeconds = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** SIGTERM and wait for the exit (smtpure writes its CPU profile then). */
const stopServer = async (server) => {
  const { child } = server
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((done) => child.once('exit', done))
  child.kill('SIGTERM')
  const timeout = sleep(15000, undefined, { ref: false }).then(() => child.kill('SIGKILL'))
  await Promise.race([exited, timeout])
}

/** Run load.mjs in its own process against `target`; resolves with its JSON report. */
const runLoad = (target, { sessions, messages, size, hold, dotEvery }) =>
  new Promise((resolveLoad, reject) => {
    const args = [join(here, 'load.mjs'), target, '--sessions', sessions, '--messages', messages, '--size', size]
    const more = ['--hold', hold, '--dot-every', dotEvery]
    const child = spawn(process.execPath, [...args, ...more].map(String), { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.once('exit', (code) => {
      if (code === 0) resolveLoad(JSON.parse(out))
      else reject(new Error(`load against ${target} failed (${code}): ${out}${err}`))
    })
  })

/** Every file in new/ and tmp/ over all mailboxes of a Maildir root. */
const listDelivered = async (root) => {
  const fresh = []
  let tmp = 0
  for (const mailbox of await readdir(root)) {
    fresh.push(...(await readdir(join(root, mailbox, 'new'))).map((n) => join(root, mailbox, 'new', n)))
    tmp += (await readdir(join(root, mailbox, 'tmp'))).length
  }
  return { fresh, tmp }
}

/** Check that every delivered file ends with one of the messages sent; resolves with the mean header size. */
const checkContents = async (files, messages) => {
  let header = 0
  for (const file of files) {
    const stored = await readFile(file)
    const sent = messages.find((m) => m.length <= stored.length && stored.subarray(-m.length).equals(m))
    if (sent === undefined) throw new Error(`${file} does not end with a message as sent`)
    header += stored.length - sent.length
  }
  return header / files.length
}

/** Count and check what a stopped server delivered; throws unless every message is there exactly once. */
const checkDelivered = async (name, maildir, expected, messages) => {
  const { fresh, tmp } = await listDelivered(maildir)
  if (fresh.length !== expected || tmp !== 0)
    throw new Error(`${name}: ${fresh.length} files in new/ and ${tmp} in tmp/, expected ${expected} and 0`)
  return { delivered: fresh.length, header: await checkContents(fresh, messages) }
}

const median = (values) => {
  const s = [...values].sort((x, y) => x - y)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** One measured run: the rate (messages/s, or MB/s for the big message), server CPU per message or per MB. */
const measureRun = async (scenario, server) => {
  checkAlive(server)
  const cpuBefore = cpuSeconds(server.child.pid)
  const report = await runLoad(server.target, scenario)
  checkAlive(server)
  const cpu = cpuSeconds(server.child.pid) - cpuBefore
  const units = scenario.mb ? (report.accepted * scenario.size) / MiB : report.accepted
  return {
    rate: scenario.mb ? report.mbPerSecond : report.messagesPerSecond,
    cpuMs: (cpu * 1000) / units,
    clientLoad: report.clientCpuSeconds / report.seconds,
  }
}

/** Seconds one round (both servers) would take at the warm-up rates; the warm-up is cold, so this errs high. */
const roundSeconds = (scenario, warmReports) =>
  warmReports
    .map((r) => (scenario.mb ? scenario.size / MiB / r.mbPerSecond : scenario.messages / r.messagesPerSecond))
    .reduce((x, y) => x + y, 0)

/** Fewer messages (or rounds, for one-message scenarios) when the scenario would pass its time budget. */
const fitBudget = (scenario, rounds, warmReports) => {
  const estimate = roundSeconds(scenario, warmReports) * rounds
  if (estimate <= BUDGET_SECONDS) return { load: scenario, rounds, note: '' }
  const why = `estimated ${fmt(estimate)} s > ${BUDGET_SECONDS} s budget`
  if (scenario.messages > 1) {
    const messages = Math.max(300, Math.floor((scenario.messages * BUDGET_SECONDS) / estimate))
    return { load: { ...scenario, messages }, rounds, note: `SHRUNK to ${messages} messages per run (${why})` }
  }
  const fewer = Math.max(3, Math.floor((rounds * BUDGET_SECONDS) / estimate))
  return { load: scenario, rounds: fewer, note: `SHRUNK to ${fewer} rounds (${why})` }
}

/** Warm-up, then measured runs per server with the order alternating each round; the runs by server. */
const measure = async (scenario, running, rounds) => {
  const warmReports = []
  for (const server of Object.values(running))
    warmReports.push(await runLoad(server.target, { ...scenario, ...warmup[scenario.id] }))
  const plan = fitBudget(scenario, rounds, warmReports)
  const runs = { smtpure: [], peer: [] }
  for (let round = 0; round < plan.rounds; round++) {
    const order = round % 2 === 0 ? ['smtpure', 'peer'] : ['peer', 'smtpure']
    for (const name of order) runs[name].push(await measureRun(plan.load, running[name]))
  }
  return { runs, plan }
}

/** Both servers with fresh Maildirs, measured, stopped, their deliveries checked, the Maildirs removed. */
const runScenario = async (scenario, rounds, profileDir) => {
  const running = {}
  try {
    for (const name of Object.keys(servers)) {
      const maildir = await mkdtemp(join(tmpdir(), `smtpure-bench-${scenario.id}-${name}-`))
      running[name] = { maildir } // removed in `finally` even if the server does not start
      running[name] = await startServer(name, maildir, profileDir)
    }
    const { runs, plan } = await measure(scenario, running, rounds)
    const expected = warmup[scenario.id].messages + plan.rounds * plan.load.messages
    const sizes = [scenario.size, warmup[scenario.id].size]
    const messages = sizes.map((size) => buildMessage(size, scenario.dotEvery))
    const summary = { plan }
    for (const [name, server] of Object.entries(running)) {
      checkAlive(server)
      const rss = rssMb(server.child.pid)
      await stopServer(server)
      const checked = await checkDelivered(name, server.maildir, expected, messages)
      const rates = runs[name].map((r) => r.rate)
      const cpu = median(runs[name].map((r) => r.cpuMs))
      const clientLoad = median(runs[name].map((r) => r.clientLoad))
      summary[name] = { rates, median: median(rates), cpu, clientLoad, rss, startRss: server.startRss, ...checked }
    }
    return summary
  } finally {
    for (const server of Object.values(running)) {
      if (server.child) await stopServer(server)
      await rm(server.maildir, { recursive: true, force: true })
    }
  }
}

const fmt = (n, digits = 1) => n.toFixed(digits)
const verdict = (ok) => (ok ? 'MET' : 'MISSED')
const pad = (cells, widths) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
const widths = [24, 11, 8, 8, 6, 7, 6]

/** Three rows per scenario: the rate against its target, peak RSS (no higher than the peer's), CPU for context. */
const rows = (scenario, s) => {
  const info = () => 'info'
  const judged = scenario.target !== null
  const cells = (metric, key, digits, target, met) => {
    // the rate ratio pairs the runs of a round (taken back to back), so slow drifts in machine load cancel
    const r =
      key === 'median' ? median(s.smtpure.rates.map((x, i) => x / s.peer.rates[i])) : s.smtpure[key] / s.peer[key]
    const figures = [fmt(s.smtpure[key], digits), fmt(s.peer[key], digits), `${fmt(r, 2)}x`]
    return [scenario.title, metric, ...figures, judged ? target : '-', judged ? met(r) : 'info']
  }
  return [
    cells(scenario.mb ? 'MB/s' : 'msgs/s', 'median', 1, `>=${scenario.target}x`, (r) => verdict(r >= scenario.target)),
    cells('peak RSS MB', 'rss', 1, '<=1x', (r) => verdict(r <= 1)),
    cells(scenario.mb ? 'CPU ms/MB' : 'CPU ms/msg', 'cpu', 3, '-', info),
  ]
}

const details = (scenario, s) => {
  const list = (xs) => xs.map((x) => fmt(x)).join(', ')
  const ratios = s.smtpure.rates.map((x, i) => fmt(x / s.peer.rates[i], 2)).join(', ')
  const percent = (x) => `${Math.round(x * 100)}%`
  const plan = [`${s.plan.load.messages} x ${s.plan.load.size} octets per run, ${s.plan.rounds} rounds`, s.plan.note]
    .filter(Boolean)
    .join(', ')
  return [
    `${scenario.title}: ${plan}`,
    `    smtpure [${list(s.smtpure.rates)}], peer [${list(s.peer.rates)}], per-round ratio [${ratios}]`,
    `    delivered and checked ${s.smtpure.delivered}/${s.peer.delivered} files, mean header octets ` +
      `${fmt(s.smtpure.header)}/${fmt(s.peer.header)}, RSS at start ${fmt(s.smtpure.startRss)}/` +
      `${fmt(s.peer.startRss)} MB, load generator CPU ${percent(s.smtpure.clientLoad)}/${percent(s.peer.clientLoad)} of a core`,
  ].join('\n')
}

const main = async () => {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', default: 'a,b,c,d' },
      rounds: { type: 'string', default: '5' },
      profile: { type: 'string' },
    },
  })
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npx turbo run build\` first`)
  const rounds = Number(values.rounds)
  const chosen = scenarios.filter((s) => values.only.split(',').includes(s.id))
  const started = performance.now()
  const table = []
  const notes = []
  for (const scenario of chosen) {
    const summary = await runScenario(scenario, rounds, values.profile)
    table.push(...rows(scenario, summary))
    notes.push(details(scenario, summary))
  }
  const header = ['scenario', 'metric', 'smtpure', 'peer', 'ratio', 'target', 'result']
  console.log(
    `smtpure serve vs smtp-server (npm smtp-server ${peerVersion()}), ${rounds} rounds, node ${process.version}`,
  )
  console.log('figures: medians over the rounds; rate ratio: median of the per-round smtpure/peer ratios;')
  console.log('RSS: VmHWM over warm-up and all rounds; CPU: server user+system time (all threads) per message or MB')
  console.log(pad(header, widths))
  for (const row of table) console.log(pad(row, widths))
  console.log('')
  for (const note of notes) console.log(note)
  console.log(`total ${fmt((performance.now() - started) / 1000)} s`)
}

main().catch((e) => {
  console.error(`server.bench: ${e.message}`)
  process.exitCode = 1
})
