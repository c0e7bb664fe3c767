// `smtpure serve` behind a load balancer: the PROXY protocol and XCLIENT trust flags, turned into
// @smtpure/node server options.
import type { SmtpServerOptions } from '@smtpure/node'
import { trustedSources } from '@smtpure/node'
import { UsageError, wholeNumber } from './usage.js'

export interface OperationsFlags {
  readonly 'proxy-trusted'?: ReadonlyArray<string>
  readonly 'proxy-timeout'?: string
  readonly 'xclient-trusted'?: ReadonlyArray<string>
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
