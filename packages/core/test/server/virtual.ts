// A server session driven through virtual time: input arrives at given gaps, timers fire when they fall due,
// every question is accepted at once. It tells when (in virtual milliseconds) the session closed, if it did.
import { type ServerOptions, serverConfig } from '../../src/Config.js'
import {
  type ServerOutput,
  type TimerName,
  accept,
  answered,
  init,
  received,
  step,
  timerFired,
} from '../../src/server/index.js'

/**
 * Small limits under which every session must end soon, whatever is sent slower than `minDataRate` (more
 * than 100 ms an octet): each command must finish within 5 s and few commands are allowed.
 */
export const tightLimits: ServerOptions = {
  idleTimeoutMs: 5000,
  minDataRate: 10,
  maxJunkCommands: 5,
  maxBadCommands: 5,
  maxMessagesPerSession: 2,
  maxRecipients: 2,
}

/** Virtual ms within which a session under `tightLimits` must have closed. */
export const tightBound = 300_000

/** One input: `bytes` arrive `after` ms after the previous one. */
export interface Arrival {
  readonly after: number
  readonly bytes: Uint8Array
}

/** Feed `arrivals` (possibly endless) until the session closes or virtual time passes `until`. */
export const closesAt = (options: ServerOptions, arrivals: Iterable<Arrival>, until: number): number | undefined => {
  const config = serverConfig(options)
  if (config._tag === 'Left') throw new Error(config.left.errors.join())
  let [state, outputs] = init(config.right)
  const timers = new Map<TimerName, number>()
  const questions: number[] = []
  let now = 0
  let closedAt: number | undefined
  const take = (outs: ReadonlyArray<ServerOutput>): void => {
    for (const o of outs) {
      if (o._tag === 'SetTimer') timers.set(o.timer, now + o.ms)
      if (o._tag === 'ClearTimer') timers.delete(o.timer)
      if (o._tag === 'Close') closedAt ??= now
      if (o._tag === 'Ask') questions.push(o.question.id)
    }
    while (questions.length > 0) {
      ;[state, outputs] = step(state, answered(questions.shift()!, accept()))
      take(outputs)
    }
  }
  take(outputs)
  for (const { after, bytes } of arrivals) {
    const at = now + after
    for (;;) {
      const due = [...timers].sort((a, b) => a[1] - b[1]).find(([, t]) => t <= at)
      if (due === undefined || closedAt !== undefined) break
      now = due[1]
      timers.delete(due[0])
      ;[state, outputs] = step(state, timerFired(due[0]))
      take(outputs)
    }
    if (closedAt !== undefined || at > until) break
    now = at
    ;[state, outputs] = step(state, received(bytes))
    take(outputs)
  }
  return closedAt
}
