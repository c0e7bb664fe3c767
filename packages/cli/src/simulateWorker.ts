// Runs a range of simulation seeds, in the calling thread or as a worker thread of `smtpure simulate`.
import { isMainThread, parentPort, workerData } from 'node:worker_threads'
import { type PlantedBug, type ProfileName, type RunReport, type Summary, runDirect, runRelay } from '@smtpure/memory'

export interface SeedsJob {
  readonly scenario: 'direct' | 'relay'
  readonly profile: ProfileName
  readonly from: number
  readonly count: number
  readonly bug?: PlantedBug
  readonly keepTrace?: boolean
}

/** What a range of seeds gave: counts summed, and the seeds that broke an invariant. */
export interface SeedsDone {
  readonly seeds: number
  readonly sessions: number
  readonly summary: Summary
  readonly failures: ReadonlyArray<{ readonly seed: number; readonly violations: ReadonlyArray<string> }>
  /** The last seed's trace hash (the one seed's, for a replay). */
  readonly traceHash: string
}

/** Run the seeds of `job`; `progress` hears the count done now and then, `each` every report. */
export const runSeeds = async (
  job: SeedsJob,
  progress: (done: number) => void,
  each?: (report: RunReport) => Promise<void>,
): Promise<SeedsDone> => {
  const run = job.scenario === 'relay' ? runRelay : runDirect
  const summary: Record<string, number> = {}
  const failures: Array<{ seed: number; violations: ReadonlyArray<string> }> = []
  let sessions = 0
  let traceHash = ''
  for (let i = 0; i < job.count; i++) {
    const seed = job.from + i
    const report = await run({
      seed,
      profile: job.profile,
      ...(job.bug ? { bug: job.bug } : {}),
      ...(job.keepTrace ? { keepTrace: true } : {}),
    })
    await each?.(report)
    sessions += report.sessions
    traceHash = report.traceHash
    for (const [k, v] of Object.entries(report.summary)) summary[k] = (summary[k] ?? 0) + v
    if (report.violations.length > 0) failures.push({ seed, violations: report.violations })
    if ((i + 1) % 100 === 0) progress(i + 1)
  }
  return { seeds: job.count, sessions, summary: summary as unknown as Summary, failures, traceHash }
}

if (!isMainThread && parentPort !== null) {
  const port = parentPort
  void runSeeds(workerData as SeedsJob, (done) => port.postMessage({ done })).then((result) =>
    port.postMessage({ result }),
  )
}
