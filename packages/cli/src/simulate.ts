// `smtpure simulate`: run seeds of the in-memory simulation (@smtpure/memory), on worker threads for
// big runs, with a progress line, a summary table, and for every failing seed the line that replays it.
// `--seed S` replays one seed; with `--trace FILE` its conversation is written as a sequence diagram.
import { writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import {
  MAX_SEED,
  type PlantedBug,
  type ProfileName,
  type RunReport,
  bugScenarios,
  mermaidSequence,
  replayLine,
  svgSequence,
} from '@smtpure/memory'
import { runSeeds, type SeedsDone } from './simulateWorker.js'
import { CantCreateError, EX_OK, UsageError, parseFlags, wholeNumber } from './usage.js'

export const simulateHelp = `Usage: smtpure simulate [--seeds N | --seed S] [options]

Run deterministic simulations of mail flow in memory: real client and server sessions over a seeded
network with faults, the invariants of a run checked on every seed. A seed is a whole number from 0 to
${MAX_SEED} (2^32 - 1, the generator's 32 bits); a replay (--seed) prints the run's trace hash.

Options:
  --seeds N             run N seeds (default 1000), starting at --from
  --from S              the first seed of --seeds (default 1)
  --seed S              run (replay) one seed
  --profile NAME        calm, faulty (default) or brutal
  --scenario NAME       direct (clients to final servers, default) or relay (through a relay, with DSNs)
  --trace FILE          with --seed: write the conversation as a Mermaid sequence diagram to FILE and
                        as SVG next to it (FILE with .svg)
  --workers N           worker threads, at most one per 200 seeds (default: the machine's cores; 1 runs in this thread)
  --bug NAME            plant a bug to watch the invariants catch it: ack-before-store (in the direct
                        scenario's servers) or forget-queue (in the relay scenario's relay)
  -h, --help            show this help

Exit status:
  0   every invariant held on every seed
  1   some seed broke one (its replay line is printed)
  64  bad usage (a flag or its value, a seed past ${MAX_SEED}, a bug the scenario does not have)
  70  the simulation itself failed (an error in a run or in a worker thread)
  73  the --trace file cannot be written

Examples:
  smtpure simulate --seeds 10000 --profile brutal
  smtpure simulate --scenario relay --seed 42 --trace seed42.mmd
`

const options = {
  seeds: { type: 'string' },
  from: { type: 'string' },
  seed: { type: 'string' },
  profile: { type: 'string' },
  scenario: { type: 'string' },
  trace: { type: 'string' },
  workers: { type: 'string' },
  bug: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

const oneOf = <A extends string>(
  flag: string,
  value: string | undefined,
  allowed: ReadonlyArray<A>,
  fallback: A,
): A => {
  if (value === undefined) return fallback
  if (!(allowed as ReadonlyArray<string>).includes(value))
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`)
  return value as A
}

const table = (done: SeedsDone, seconds: number): string => {
  const rows: Array<[string, string]> = [
    ['seeds', String(done.seeds)],
    ['server sessions', String(done.sessions)],
    ...Object.entries(done.summary).map(([k, v]): [string, string] => [k, String(v)]),
    ['failed seeds', String(done.failures.length)],
    [
      'time',
      `${seconds.toFixed(1)} s (${(done.seeds / seconds).toFixed(0)} seeds/s, ${(done.sessions / seconds).toFixed(0)} sessions/s)`,
    ],
  ]
  return rows.map(([k, v]) => `  ${k.padEnd(16)} ${v}`).join('\n') + '\n'
}

/** Run `smtpure simulate` with its arguments; resolves to the exit code. */
export const simulate = async (argv: ReadonlyArray<string>): Promise<number> => {
  const { values } = parseFlags(argv, options, false)
  if (values.help) {
    process.stdout.write(simulateHelp)
    return EX_OK
  }
  const profile = oneOf<ProfileName>('profile', values.profile, ['calm', 'faulty', 'brutal'], 'faulty')
  const scenario = oneOf('scenario', values.scenario, ['direct', 'relay'] as const, 'direct')
  const bug =
    values.bug === undefined
      ? undefined
      : oneOf<PlantedBug>('bug', values.bug, ['ack-before-store', 'forget-queue'], 'ack-before-store')
  // a bug planted where the scenario runs no code of it would change nothing, and its clean run prove nothing
  if (bug !== undefined && bugScenarios[bug] !== scenario)
    throw new UsageError(
      `--bug ${bug} is planted in the ${bugScenarios[bug]} scenario: give it with --scenario ${bugScenarios[bug]}`,
    )
  if (values.seed !== undefined && (values.seeds !== undefined || values.from !== undefined))
    throw new UsageError('--seed replays one seed: give it without --seeds or --from')
  if (values.trace !== undefined && values.seed === undefined) throw new UsageError('--trace needs --seed')
  // the generator takes 32 bits of seed: a larger seed would only repeat a smaller one's run
  const one = values.seed === undefined ? undefined : wholeNumber('seed', values.seed, 0, MAX_SEED)
  const from = one ?? wholeNumber('from', values.from, 1, MAX_SEED)
  const count = one === undefined ? wholeNumber('seeds', values.seeds, 1000) : 1
  if (count === 0) throw new UsageError('--seeds must be at least 1')
  if (count - 1 > MAX_SEED - from)
    throw new UsageError(`--from ${from} --seeds ${count} would go past the last seed, ${MAX_SEED}`)
  const asked = wholeNumber('workers', values.workers, availableParallelism())
  if (asked === 0) throw new UsageError('--workers must be at least 1')
  // a thread costs more to start than 200 seeds take to run: fewer seeds than that share one
  const workers = Math.max(1, Math.min(asked, Math.ceil(count / 200)))
  const job = { scenario, profile, from, count, ...(bug ? { bug } : {}) }

  const started = performance.now()
  let done: SeedsDone
  if (one !== undefined) {
    done = await runSeeds(
      { ...job, keepTrace: values.trace !== undefined },
      () => undefined,
      async (report) => {
        if (values.trace !== undefined) await writeTrace(values.trace, report)
      },
    )
  } else {
    const progress = progressLine(count)
    done = workers === 1 ? await runSeeds(job, progress) : await inWorkers(job, workers, progress)
    progress(count, true)
  }
  const seconds = (performance.now() - started) / 1000
  process.stdout.write(
    `scenario ${scenario}, profile ${profile}, seeds ${from}..${from + count - 1}, ${workers} worker${workers > 1 ? 's' : ''}\n`,
  )
  process.stdout.write(table(done, seconds))
  if (one !== undefined) process.stdout.write(`  trace hash       ${done.traceHash}\n`)
  for (const f of done.failures.slice(0, 20)) {
    process.stdout.write(`seed ${f.seed} broke:\n${f.violations.map((v) => `  ${v}`).join('\n')}\n`)
    process.stdout.write(`  replay: ${replayLine(scenario, f.seed, profile, bug)}\n`)
  }
  if (done.failures.length > 20) process.stdout.write(`... and ${done.failures.length - 20} more failing seeds\n`)
  return done.failures.length === 0 ? EX_OK : 1
}

/** Write the diagrams of `--trace`. @throws CantCreateError (exit 73) when a file cannot be written. */
const writeTrace = async (file: string, report: RunReport): Promise<void> => {
  const trace = report.trace ?? []
  const svgFile = /\.[a-z]+$/i.test(file) ? file.replace(/\.[a-z]+$/i, '.svg') : `${file}.svg`
  const write = async (path: string, text: string): Promise<void> => {
    try {
      await writeFile(path, text)
    } catch (e) {
      throw new CantCreateError(`--trace: cannot write ${path}: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
  await write(file, mermaidSequence(trace))
  await write(svgFile === file ? `${file}.svg` : svgFile, svgSequence(trace))
}

/** A progress line on standard error: redrawn in place on a terminal, at each tenth otherwise. */
const progressLine = (total: number): ((done: number, last?: boolean) => void) => {
  const tty = process.stderr.isTTY === true
  let shown = 0
  let printed = -1
  return (done, last = false) => {
    if (tty) return void process.stderr.write(`\r${done}/${total} seeds${last ? '\n' : ''}`)
    const tenth = Math.floor((done / total) * 10)
    if ((tenth > shown || last) && done !== printed) {
      process.stderr.write(`${done}/${total} seeds\n`)
      printed = done
    }
    shown = Math.max(shown, tenth)
  }
}

/** Split the seeds into one contiguous range per worker thread and add up what they report. */
const inWorkers = (
  job: Parameters<typeof runSeeds>[0],
  n: number,
  progress: (done: number) => void,
): Promise<SeedsDone> => {
  const per = Math.ceil(job.count / n)
  const counts = new Array<number>(n).fill(0)
  const parts = Array.from({ length: n }, (_, i) => {
    const from = job.from + i * per
    const count = Math.max(0, Math.min(per, job.from + job.count - from))
    return new Promise<SeedsDone>((resolve, reject) => {
      const w = new Worker(new URL('./simulateWorker.js', import.meta.url), { workerData: { ...job, from, count } })
      w.on('message', (m: { done: number } | { result: SeedsDone }) => {
        if ('done' in m) {
          counts[i] = m.done
          progress(counts.reduce((a, b) => a + b, 0))
        } else resolve(m.result)
      })
      w.on('error', reject)
      w.on('exit', (code) => (code === 0 ? undefined : reject(new Error(`simulation worker exited with ${code}`))))
    })
  })
  return Promise.all(parts).then((all) => {
    const summary: Record<string, number> = {}
    for (const r of all) for (const [k, v] of Object.entries(r.summary)) summary[k] = (summary[k] ?? 0) + v
    return {
      seeds: all.reduce((a, r) => a + r.seeds, 0),
      sessions: all.reduce((a, r) => a + r.sessions, 0),
      summary: summary as unknown as SeedsDone['summary'],
      failures: all.flatMap((r) => r.failures),
      traceHash: all[0]!.traceHash,
    }
  })
}
