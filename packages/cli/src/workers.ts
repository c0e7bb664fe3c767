// `smtpure serve --workers N`: one primary process and N workers (node:cluster) that share the
// listening port. Each worker is a whole `smtpure serve` with the same guarantees (a message is
// stored before its 250). The primary prints the one `listening on` line, restarts a worker that
// dies, replaces them one at a time on SIGHUP (a rolling restart), and on SIGTERM or SIGINT has
// every worker stop accepting and finish its transactions (each within its own close deadline).
import cluster, { type Worker } from 'node:cluster'
import { availableParallelism } from 'node:os'
import { EX_OK, EX_SOFTWARE, UsageError, hostPort, parseHostPort } from './usage.js'

/** `--workers N` (a whole number >= 1) or `auto` (one per core). */
export const workerCount = (text: string): number => {
  if (text === 'auto') return availableParallelism()
  if (!/^[0-9]+$/.test(text) || Number(text) < 1)
    throw new UsageError(`--workers needs a whole number >= 1 or auto, got ${JSON.stringify(text)}`)
  return Number(text)
}

/** Node's own default for `--v8-pool-size` (Node 20): the most a worker is given. */
const NODE_HELPER_THREADS = 4

/**
 * Does this token of Node's options name `--v8-pool-size`? Node takes `_` for `-` in an option's name, and
 * `NODE_OPTIONS` may quote a token.
 */
const namesPoolSize = (token: string): boolean =>
  token
    .replace(/^["']|["']$/g, '')
    .split('=')[0]!
    .replace(/_/g, '-') === '--v8-pool-size'

/**
 * How many helper threads V8 gets in each worker (Node's `--v8-pool-size`): the threads that compile hot
 * functions with the optimizing compiler, do garbage collection's parallel and concurrent work, and run
 * V8's other background jobs. Node starts 4 whatever the cores, so N workers on a small machine run 4N of
 * them beside N event loops, and while the workers warm up those threads take the cores from the event loops.
 * Each worker gets its share of the cores less one, for its event loop, and never more than Node's 4:
 * min(4, max(1, floor(cores / workers) - 1)). `cores` and `workers` are counts (of logical processors and of
 * worker processes). `given` is what the primary was started with: `execArgv`, Node's own options on its
 * command line (`process.execArgv`); `nodeOptions`, the text of `NODE_OPTIONS`. Undefined when a pool size
 * is given already, in either place (the workers then inherit it as it is). Node only: `serve` refuses
 * `--workers` on Bun and Deno.
 */
export const helperThreads = (
  cores: number,
  workers: number,
  given: { readonly execArgv: ReadonlyArray<string>; readonly nodeOptions: string | undefined },
): number | undefined => {
  if (given.execArgv.some(namesPoolSize) || (given.nodeOptions ?? '').split(/\s+/).some(namesPoolSize)) return undefined
  return Math.min(NODE_HELPER_THREADS, Math.max(1, Math.floor(cores / workers) - 1))
}

/** Is this process the primary of a `--workers` run (rather than one of its workers, or a plain run)? */
export const isPrimary = (): boolean => cluster.isPrimary

const exitOf = (w: Worker): Promise<void> =>
  new Promise((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve())))

/** Run the primary until SIGTERM or SIGINT; resolves with the exit code. */
export const runWorkers = async (count: number, metrics: string | undefined): Promise<number> => {
  const metricsAt = metrics === undefined ? undefined : parseHostPort('metrics', metrics)
  const helpers = helperThreads(availableParallelism(), count, {
    execArgv: process.execArgv,
    nodeOptions: process.env['NODE_OPTIONS'],
  })
  cluster.setupPrimary({
    silent: true, // workers' stdout is theirs; the primary speaks for them
    ...(helpers !== undefined ? { execArgv: [...process.execArgv, `--v8-pool-size=${helpers}`] } : {}),
  })
  const current = new Set<Worker>()
  const retiring = new Set<Worker>()
  let stopping = false
  let address: { address: string; port: number } | undefined
  let failed: ((code: number) => void) | undefined

  const fork = (): Promise<Worker> => {
    const w = cluster.fork()
    w.process.stderr?.pipe(process.stderr)
    w.process.stdout?.resume()
    return new Promise((resolve) => {
      w.once('listening', (a: { address: string; port: number }) => {
        address ??= a
        current.add(w)
        resolve(w)
      })
      w.once('exit', (code: number | null, signal: string | null) => {
        current.delete(w)
        if (stopping || retiring.delete(w)) return
        if (address === undefined) return failed?.(code ?? EX_SOFTWARE) // it never came up: give up
        const how = code === null ? `was ended by ${signal ?? 'a signal'}` : `exited (${code})`
        process.stderr.write(`smtpure serve: worker ${w.process.pid} ${how}; starting another\n`)
        void fork()
      })
    })
  }

  const started = Promise.all(Array.from({ length: count }, fork))
  const code = await Promise.race([started.then(() => EX_OK), new Promise<number>((r) => (failed = r))])
  if (code !== EX_OK) {
    stopping = true
    for (const w of cluster.workers ? Object.values(cluster.workers) : []) w?.kill('SIGTERM')
    return code
  }
  // prom-client is loaded only for --metrics (see operations.ts)
  const endpoint = metricsAt
    ? await (await import('./metrics.js')).serveClusterMetrics(metricsAt, () => !stopping && current.size > 0)
    : undefined
  process.stdout.write(`listening on ${hostPort(address!.address, address!.port)}\n`)

  // SIGHUP: start a new worker, and once it listens let an old one finish and go, one after another.
  let rolling = Promise.resolve()
  process.on('SIGHUP', () => {
    rolling = rolling.then(async () => {
      for (const old of [...current]) {
        if (stopping) return
        await fork()
        retiring.add(old)
        current.delete(old)
        old.process.kill('SIGTERM')
        await exitOf(old)
      }
    })
  })
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve())
    process.once('SIGINT', () => resolve())
  })
  stopping = true
  const all = cluster.workers ? Object.values(cluster.workers).filter((w): w is Worker => w !== undefined) : []
  for (const w of all) w.process.kill('SIGTERM') // each closes with its own deadline (10 s)
  const cut = setTimeout(() => all.forEach((w) => w.process.kill('SIGKILL')), 15000)
  await Promise.all(all.map(exitOf))
  clearTimeout(cut)
  await endpoint?.close()
  return EX_OK
}
