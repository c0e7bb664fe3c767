// Operations for `smtpure serve`: Prometheus metrics (prom-client, the usual Node client library)
// gathered by wrapping the server's hooks, and an HTTP endpoint with /metrics and /health.
import * as http from 'node:http'
import type { Reply } from '@smtpure/core'
import { type ServerHooks, type SessionInfo, SmtpError, type Verdict, authReplyOf } from '@smtpure/driver'
import { AggregatorRegistry, Counter, Gauge, Histogram, type Registry, register } from 'prom-client'
import { UnavailableError } from './usage.js'

/** The metrics of one process, in `registry` (prom-client's default one unless given). */
export interface ServeMetrics {
  readonly registry: Registry
  /** The same hooks, counted and timed. */
  readonly instrument: (hooks: ServerHooks) => ServerHooks
}

/** The reply code a hook's outcome gives the client: 250 or the returned code, the SmtpError's, or 451. */
const codeOf = (v: Verdict | undefined, fallback = 250): string => String((v as Reply | undefined)?.code ?? fallback)
const thrownCode = (e: unknown, fallback: number): string => String(e instanceof SmtpError ? e.reply.code : fallback)

/**
 * Create the counters, gauges and histograms.
 * @example
 * const metrics = createServeMetrics()
 * createSmtpServer({ hooks: metrics.instrument(hooks) })
 */
export const createServeMetrics = (registry: Registry = register): ServeMetrics => {
  const registers = [registry]
  const open = new Gauge({ name: 'smtpure_connections_open', help: 'SMTP connections open now', registers })
  const connections = new Counter({ name: 'smtpure_connections_total', help: 'SMTP connections accepted', registers })
  const messages = new Counter({
    name: 'smtpure_messages_total',
    help: 'Messages whose data ended, by the reply code they got (2yz accepted, else refused)',
    labelNames: ['result', 'code'],
    registers,
  })
  const recipients = new Counter({
    name: 'smtpure_recipients_total',
    help: 'RCPT commands the application decided, by reply code',
    labelNames: ['result', 'code'],
    registers,
  })
  const bytes = new Counter({ name: 'smtpure_message_bytes_total', help: 'Message octets received', registers })
  const tls = new Counter({
    name: 'smtpure_sessions_total',
    help: 'SMTP sessions ended, by whether TLS was on at the end',
    labelNames: ['tls'],
    registers,
  })
  const auth = new Counter({
    name: 'smtpure_auth_total',
    help: 'AUTH attempts, by outcome',
    labelNames: ['result', 'mechanism'],
    registers,
  })
  const latency = new Histogram({
    name: 'smtpure_hook_duration_seconds',
    help: 'Time the application hooks took, by hook',
    labelNames: ['hook'],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers,
  })
  const result = (code: string): string => (code.startsWith('2') ? 'accepted' : 'refused')

  /** Time `f` under `hook`; `count` sees the outcome as a reply code. */
  const timed = async <R>(
    hook: string,
    f: () => Promise<R> | R,
    count?: (code: string) => void,
    verdictOf: (v: R) => unknown = (v) => v,
  ): Promise<R> => {
    const end = latency.startTimer({ hook })
    try {
      const v = await f()
      count?.(codeOf(verdictOf(v) as Verdict))
      return v
    } catch (e) {
      count?.(thrownCode(e, 451))
      throw e
    } finally {
      end()
    }
  }

  const instrument = (h: ServerHooks): ServerHooks => ({
    ...h,
    onConnect: (s: SessionInfo) => {
      open.inc()
      connections.inc()
      return h.onConnect ? timed('connect', () => h.onConnect!(s)) : undefined
    },
    onClose: (s: SessionInfo, reason) => {
      open.dec()
      tls.inc({ tls: s.tls ? 'yes' : 'no' })
      return h.onClose?.(s, reason) // an async hook's promise goes back to the driver, which reports a rejection
    },
    ...(h.onHello ? { onHello: (hello, s) => timed('hello', () => h.onHello!(hello, s)) } : {}),
    onAuth: (c, s) =>
      timed(
        'auth',
        () =>
          h.onAuth
            ? h.onAuth(c, s)
            : ({ code: 535, enhanced: '5.7.8', lines: ['Authentication credentials invalid'] } as Reply),
        (code) => auth.inc({ result: code.startsWith('2') ? 'success' : 'failure', mechanism: c.mechanism }),
        authReplyOf, // `{ user, reply }` counts as its reply does
      ),
    ...(h.onMailFrom ? { onMailFrom: (f, p, s) => timed('mail', () => h.onMailFrom!(f, p, s)) } : {}),
    onRcptTo: (to, p, e, s) =>
      timed(
        'rcpt',
        () => h.onRcptTo?.(to, p, e, s),
        (code) => recipients.inc({ result: result(code), code }),
      ),
    onMessage: async (m, s) => {
      const counted = {
        ...m,
        chunks: {
          async *[Symbol.asyncIterator]() {
            for await (const c of m.chunks) {
              bytes.inc(c.length)
              yield c
            }
          },
        },
      }
      const end = latency.startTimer({ hook: 'message' })
      try {
        const v = await (h.onMessage ? h.onMessage(counted, s) : drain(counted.chunks))
        for (const one of Array.isArray(v) ? v : [v]) {
          const code = codeOf(one as Verdict)
          messages.inc({ result: result(code), code })
        }
        return v
      } catch (e) {
        const code = thrownCode(e, 451)
        messages.inc({ result: result(code), code })
        throw e
      } finally {
        end()
      }
    },
  })
  return { registry, instrument }
}

const drain = async (chunks: AsyncIterable<Uint8Array>): Promise<undefined> => {
  for await (const _ of chunks) void _
  return undefined
}

export interface MetricsEndpoint {
  readonly address: { readonly host: string; readonly port: number }
  readonly close: () => Promise<void>
}

/**
 * Serve `GET /metrics` (Prometheus text format) and `GET /health` (200 `ok` while `healthy()`, else 503).
 * `source` is a registry, or a cluster's aggregator (its workers' metrics summed).
 */
export const serveMetrics = async (
  at: { host: string; port: number },
  source: Registry | AggregatorRegistry<never>,
  healthy: () => boolean,
): Promise<MetricsEndpoint> => {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end()
    } else if (path === '/health') {
      const ok = healthy()
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'unavailable\n')
    } else if (path === '/metrics') {
      const text = source instanceof AggregatorRegistry ? source.clusterMetrics() : source.metrics()
      text.then(
        (body) => res.writeHead(200, { 'content-type': source.contentType }).end(body),
        (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(e)}\n`),
      )
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
    }
  })
  await new Promise<void>((resolve, reject) => {
    // one line naming the flag, exit 69, as for the SMTP port
    server.once('error', (e) =>
      reject(new UnavailableError(`--metrics: cannot listen on ${at.host}:${at.port}: ${e.message}`)),
    )
    server.listen(at.port, at.host, () => resolve())
  })
  const a = server.address() as { address: string; port: number }
  return {
    address: { host: a.address, port: a.port },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** `GET /metrics` of this process (prom-client's default registry); see `serveMetrics`. */
export const serveProcessMetrics = (
  at: { host: string; port: number },
  healthy: () => boolean,
): Promise<MetricsEndpoint> => serveMetrics(at, register, healthy)

/** `GET /metrics` of a cluster's primary: its workers' metrics summed; see `serveMetrics`. */
export const serveClusterMetrics = (
  at: { host: string; port: number },
  healthy: () => boolean,
): Promise<MetricsEndpoint> => serveMetrics(at, new AggregatorRegistry(), healthy)

/** In a cluster's worker: answer the primary's requests for this process's metrics (prom-client listens once an aggregator exists). */
export const answerPrimary = (): void => void new AggregatorRegistry()
