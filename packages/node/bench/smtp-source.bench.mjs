// Benchmark driver: `smtpure serve` against npm smtp-server (peer-server.mjs, the same Maildir store) under the load
// real clients make: postfix's `smtp-source`, which sends HELO and waits for every reply (no pipelining).
// Workloads (a)-(d) of the project's bench harness, rounds alternating between the two; prints medians and ratios.
// After `npx turbo run build`: node packages/node/bench/smtp-source.bench.mjs [--only a,b,c,d] [--rounds N]
//   [--node-flags='--v8-pool-size=1'] (flags for `node` in all three servers alike, split at white space)
import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

const here = import.meta.dirname
const MAX_SIZE = 104857600
const servers = {
  smtpure: [resolve(here, '../../cli/dist/main.cjs'), 'serve'],
  peer: [join(here, 'peer-server.mjs')],
  // the bound: plain Node with the same durable Maildir steps and nothing else (floor-server.mjs)
  floor: [join(here, 'floor-server.mjs')],
}
// smtp-source arguments as the harness gives them (-d keeps each session's connection for its next message)
const workloads = [
  {
    id: 'a',
    title: '(a) 1 KB, 10 sessions, 3000 msgs',
    args: ['-s', '10', '-m', '3000', '-l', '1024', '-d'],
    msgs: 3000,
  },
  {
    id: 'b',
    title: '(b) 1 KB x 100 rcpts, 10 sessions',
    args: ['-s', '10', '-m', '100', '-r', '100', '-l', '1024', '-d'],
    msgs: 100,
    rcpts: 100,
  },
  { id: 'c', title: '(c) one 50 MB message', args: ['-s', '1', '-m', '1', '-l', '50000000'], msgs: 1, mb: 50 },
  { id: 'd', title: '(d) 500 sessions x ~6 msgs', args: ['-s', '500', '-m', '3000', '-l', '1024', '-d'], msgs: 3000 },
]

const findSmtpSource = () => ['/usr/sbin/smtp-source', '/usr/bin/smtp-source'].find((p) => existsSync(p))

const start = (name, maildir, nodeFlags) =>
  new Promise((resolveStart, reject) => {
    const args = [...nodeFlags, ...servers[name], '--port', '0', '--maildir', maildir, '--max-size', String(MAX_SIZE)]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before listening`)))
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (t) => {
      out += t
      const m = /^listening on (.+):(\d+)\n/.exec(out)
      if (m) resolveStart({ child, target: `${m[1]}:${m[2]}` })
    })
  })

const run = (bin, args) =>
  new Promise((ok, fail) =>
    execFile(bin, args, { timeout: 300_000 }, (e, _o, err) => (e ? fail(new Error(`${e.message} ${err}`)) : ok())),
  )

/** Files in every Maildir's new/ under `root`. */
const delivered = async (root) => {
  let n = 0
  for (const box of await readdir(root)) n += (await readdir(join(root, box, 'new')).catch(() => [])).length
  return n
}

const once = async (bin, name, w, nodeFlags) => {
  const maildir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'smtpure-bench-'))
  const server = await start(name, maildir, nodeFlags)
  const rcptArgs = ['-M', 'bench.example', '-f', 'sender@example.com', '-t', 'rcpt@example.com']
  const t0 = performance.now()
  await run(bin, [...w.args, ...rcptArgs, server.target])
  const seconds = (performance.now() - t0) / 1000
  server.child.kill('SIGTERM')
  await new Promise((r) => server.child.once('exit', r))
  const files = await delivered(maildir)
  await rm(maildir, { recursive: true, force: true })
  if (files !== w.msgs * (w.rcpts ?? 1))
    throw new Error(`${name} ${w.id}: ${files} files, expected ${w.msgs * (w.rcpts ?? 1)}`)
  return w.mb ? w.mb / seconds : w.msgs / seconds
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const main = async () => {
  const { values: v } = parseArgs({
    options: {
      only: { type: 'string' },
      rounds: { type: 'string', default: '3' },
      'node-flags': { type: 'string', default: '' },
    },
  })
  const nodeFlags = v['node-flags'].split(/\s+/).filter(Boolean)
  const bin = findSmtpSource()
  if (bin === undefined) {
    process.stdout.write(
      'smtp-source bench skipped: smtp-source is not installed. It comes with the Debian package postfix\n' +
        '(apt-get install postfix; the mail daemon need not run).\n',
    )
    return
  }
  const only = v.only?.split(',')
  process.stdout.write(
    `smtp-source load: smtpure serve vs smtp-server (same Maildir store), ${v.rounds} rounds, medians;\n` +
      'floor: plain Node with the same durable file steps and no SMTP work, the bound for a Node server\n' +
      (nodeFlags.length > 0 ? `node flags for all three: ${nodeFlags.join(' ')}\n` : '') +
      `${'workload'.padEnd(36)} ${'unit'.padEnd(6)} ${'smtpure'.padStart(9)} ${'peer'.padStart(9)} ratio ` +
      `${'floor'.padStart(9)} of floor\n`,
  )
  for (const w of workloads.filter((x) => only === undefined || only.includes(x.id))) {
    const rates = { smtpure: [], peer: [], floor: [] }
    for (let r = 0; r < Number(v.rounds); r++)
      for (const name of r % 2 === 0 ? ['smtpure', 'peer', 'floor'] : ['floor', 'peer', 'smtpure'])
        rates[name].push(await once(bin, name, w, nodeFlags))
    const [s, p, f] = [median(rates.smtpure), median(rates.peer), median(rates.floor)]
    const unit = w.mb ? 'MB/s' : 'msgs/s'
    process.stdout.write(
      `${w.title.padEnd(36)} ${unit.padEnd(6)} ${s.toFixed(1).padStart(9)} ${p.toFixed(1).padStart(9)} ` +
        `${(s / p).toFixed(2)}x ${f.toFixed(1).padStart(9)} ${(s / f).toFixed(2)}\n`,
    )
  }
}

main().catch((e) => {
  process.stderr.write(`smtp-source bench: ${e.message}\n`)
  process.exit(1)
})
