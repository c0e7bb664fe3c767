// prom-client is loaded by `smtpure serve` only when --metrics asks for it: loaded, it is about 115 KB of
// bundled code and 1.3 MB of the process's memory after start-up, for a server that serves no metrics.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { maildir, startServe } from './cli.js'

const recorder = fileURLToPath(new URL('./record-modules.mjs', import.meta.url))

/** The module URLs `smtpure serve` loaded by the time it listened. */
const modulesLoaded = async (args: ReadonlyArray<string>): Promise<string[]> => {
  const file = join(mkdtempSync(join(tmpdir(), 'smtpure-modules-')), 'loaded')
  writeFileSync(file, '')
  const running = await startServe(args, { node: ['--import', recorder], env: { SMTPURE_TEST_MODULES: file } })
  running.child.kill('SIGKILL')
  await running.exited
  return readFileSync(file, 'utf8').split('\n').filter(Boolean)
}

/** Does this module hold prom-client's code (bundled or not), or import it? Its cluster registry tells. */
const isMetrics = (url: string): boolean =>
  url.startsWith('file:') && readFileSync(fileURLToPath(url), 'utf8').includes('AggregatorRegistry')

it('smtpure serve loads the metrics code (prom-client) only with --metrics', async () => {
  const root = maildir()
  const plain = await modulesLoaded(['--maildir', root])
  const measured = await modulesLoaded(['--maildir', root, '--metrics', '127.0.0.1:0'])
  expect(plain.length).toBeGreaterThan(0) // the recorder saw the command's own modules
  expect(plain.filter(isMetrics)).toEqual([])
  expect(measured.filter(isMetrics).length).toBeGreaterThan(0)
}, 30000)
