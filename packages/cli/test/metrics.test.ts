// The serve metrics count what the session answers: an onAuth that keeps a user but refuses with its
// reply is a failure, as the client hears it.
import { Registry } from 'prom-client'
import { expect, it } from 'vitest'
import type { Credentials } from '@smtpure/core'
import type { SessionInfo } from '@smtpure/driver'
import { createServeMetrics } from '../src/metrics.js'

const credentials = { mechanism: 'PLAIN', username: 'mallory', password: 'pw' } as unknown as Credentials
const session = { id: 's1', tls: false } as unknown as SessionInfo

const authCount = async (registry: Registry, result: string): Promise<number> => {
  const metric = await registry.getSingleMetric('smtpure_auth_total')!.get()
  return metric.values.find((v) => v.labels.result === result)?.value ?? 0
}

it('counts onAuth { user, reply: 535 } as a failure and { user } alone as a success', async () => {
  const registry = new Registry()
  const hooks = createServeMetrics(registry).instrument({
    onAuth: (c) =>
      c.username === 'mallory'
        ? { user: { id: 7 }, reply: { code: 535, enhanced: '5.7.8', lines: ['No'] } }
        : { user: { id: 8 } },
  })
  await hooks.onAuth!(credentials, session)
  await hooks.onAuth!({ ...credentials, username: 'alice' } as Credentials, session)
  expect(await authCount(registry, 'failure')).toBe(1)
  expect(await authCount(registry, 'success')).toBe(1)
})
