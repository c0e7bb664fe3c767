// Preloaded with `node --import` by lazy-metrics.test.ts: every module Node loads is appended, one URL a line,
// to the file named by SMTPURE_TEST_MODULES (the loader's hooks run on a thread of their own).
import { register } from 'node:module'

const hooks = `
import { appendFileSync } from 'node:fs'
export async function load(url, context, next) {
  appendFileSync(process.env.SMTPURE_TEST_MODULES, url + '\\n')
  return next(url, context)
}
`
register(`data:text/javascript,${encodeURIComponent(hooks)}`)
