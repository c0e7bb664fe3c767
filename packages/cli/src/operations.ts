// `smtpure serve` behind a load balancer: the PROXY protocol and XCLIENT trust flags, turned into
// @smtpure/node server options.
import cluster from 'node:cluster'
import type { ServerHooks } from '@smtpure/driver'
import type { SmtpServerOptions } from '@smtpure/node'
import { trustedSources } from '@smtpure/node'
import type { MetricsEndpoint } from './metrics.js'
import { UsageError, parseHostPort, wholeNumber } from './usage.js'

export interface OperationsFlags {
  readonly 'proxy-trusted'?: ReadonlyArray<string>
  readonly 'proxy-timeout'?: string
  readonly 'xclient-trusted'?: ReadonlyArray<string>
  readonly metrics?: string
}

const checkList = (flag: string, list: ReadonlyArray<string>): ReadonlyArray<string> => {
  try {
    trustedSources(list)
  } catch {
    const bad = list.find((e) => {
      try {
        trustedSources([e])
        return false
      } catch {
        return true
      }
    })
    throw new UsageError(`--${flag} needs an IP address or CIDR block, got ${JSON.stringify(bad)}`)
  }
  return list
}

/** The server options the PROXY and XCLIENT flags ask for (none when they are absent). */
export const operationsOptions = (v: OperationsFlags): Partial<SmtpServerOptions> => {
  if (v['proxy-timeout'] !== undefined && v['proxy-trusted'] === undefined)
    throw new UsageError('--proxy-timeout needs --proxy-trusted')
  return {
    ...(v['proxy-trusted'] !== undefined
      ? {
          proxy: {
            trusted: checkList('proxy-trusted', v['proxy-trusted']),
            timeoutMs: wholeNumber('proxy-timeout', v['proxy-timeout'], 5000),
          },
        }
      : {}),
    ...(v['xclient-trusted'] !== undefined
      ? { xclient: { trusted: checkList('xclient-trusted', v['xclient-trusted']) } }
      : {}),
  }
}

export interface Operations {
  /** The hooks, counted for the metrics when `--metrics` is on. */
  readonly instrument: (hooks: ServerHooks) => ServerHooks
  /** Start the metrics endpoint (not in a worker: the primary serves the sum); `close` stops it. */
  readonly start: (healthy: () => boolean) => Promise<Pick<MetricsEndpoint, 'close'>>
}

/** Nothing to count and no endpoint: `serve` without `--metrics`. */
const noOperations: Operations = { instrument: (hooks) => hooks, start: async () => ({ close: async () => undefined }) }

/**
 * The `--metrics` flag, checked now (a usage error before anything listens). prom-client (about 115 KB of
 * bundled code, and 1.3 MB of a process's memory once loaded) is loaded only when the flag is given.
 */
export const operations = async (v: OperationsFlags): Promise<Operations> => {
  if (v.metrics === undefined) return noOperations
  const at = parseHostPort('metrics', v.metrics)
  const m = await import('./metrics.js')
  const metrics = m.createServeMetrics()
  // a worker answers the primary's requests for its metrics: the primary serves the sum
  if (cluster.isWorker) m.answerPrimary()
  return {
    instrument: (hooks) => metrics.instrument(hooks),
    start: (healthy) => (cluster.isWorker ? noOperations.start(healthy) : m.serveProcessMetrics(at, healthy)),
  }
}
