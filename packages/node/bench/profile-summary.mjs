// Summarise V8 CPU profiles (`node --cpu-prof`) of `smtpure serve` or the peer: self time by group (our core,
// driver, node adapter, net, fs/Maildir, GC, ...) and the top functions. Native frames count for their caller.
// Usage: node packages/node/bench/profile-summary.mjs FILE.cpuprofile... [--top N]
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

const groups = [
  ['GC', (f) => f.functionName === '(garbage collector)'],
  ['idle', (f) => f.functionName === '(idle)'],
  ['program (VM, unattributed)', (f) => f.functionName === '(program)'],
  ['our core', (f) => f.url.includes('/packages/core/dist/')],
  ['driver', (f) => f.url.includes('/packages/driver/dist/')],
  ['node adapter', (f) => f.url.includes('/packages/node/dist/')],
  ['fs/Maildir', (f) => f.url.includes('/maildir/dist/') || /^node:(internal\/)?fs/.test(f.url)],
  ['app hooks (serve.js, peer-server.mjs)', (f) => /\/packages\/cli\/dist\/|\/peer-server\.mjs$/.test(f.url)],
  ['fp-ts/io-ts', (f) => /node_modules\/(fp-ts|io-ts)\//.test(f.url)],
  ['smtp-server', (f) => /node_modules\/(smtp-server|nodemailer)\//.test(f.url)],
  ['node net/streams', (f) => /^node:(net|stream|internal\/(streams|stream_base|net|dns))/.test(f.url)],
  ['node runtime (promises, timers, crypto...)', (f) => f.url.startsWith('node:')],
]

/** The group of a frame; a native frame (no url) takes its caller's group. */
const groupOf = (node, parents, byId) => {
  for (let n = node; n !== undefined; n = byId.get(parents.get(n.id))) {
    const f = n.callFrame
    if (f.url === '' && !f.functionName.startsWith('(')) continue
    const found = groups.find(([, test]) => test(f))
    return found ? found[0] : 'other'
  }
  return 'other (native)'
}

/** Self time in ms per node id: the time up to the next sample goes to the sampled node. */
const selfTimes = (profile) => {
  const self = new Map()
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + ms)
  }
  return self
}

const label = (f) => {
  const file = f.url.replace(/^.*\/(packages|node_modules)\//, '$1/').replace(/^file:\/\//, '')
  return `${f.functionName || '(anonymous)'} ${file}${file ? `:${f.lineNumber + 1}` : ''}`
}

/** Add one profile's self times into the group and function totals. */
const addProfile = (profile, byGroup, byFunction) => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parents = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parents.set(c, n.id)
  for (const [id, ms] of selfTimes(profile)) {
    const node = byId.get(id)
    const group = groupOf(node, parents, byId)
    byGroup.set(group, (byGroup.get(group) ?? 0) + ms)
    const key = `${label(node.callFrame)}\t${group}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms)
  }
}

const main = () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' } },
  })
  const byGroup = new Map()
  const byFunction = new Map()
  for (const file of positionals) addProfile(JSON.parse(readFileSync(file, 'utf8')), byGroup, byFunction)
  const total = [...byGroup.values()].reduce((a, b) => a + b, 0)
  const busy = total - (byGroup.get('idle') ?? 0)
  const line = (ms, name) => `${ms.toFixed(0).padStart(8)} ms ${((100 * ms) / busy).toFixed(1).padStart(5)}%  ${name}`
  console.log(`${positionals.length} profile(s), ${total.toFixed(0)} ms sampled, ${busy.toFixed(0)} ms not idle`)
  console.log('self time by group (% of non-idle):')
  for (const [name, ms] of [...byGroup].sort((a, b) => b[1] - a[1])) console.log(line(ms, name))
  console.log(`top ${values.top} functions by self time:`)
  const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))
  for (const [key, ms] of top) {
    const [fn, group] = key.split('\t')
    console.log(`${line(ms, fn)}  [${group}]`)
  }
}

main()
