// prom-client is loaded by `smtpure serve` only when --metrics asks for it: loaded, it is about 115 KB of
// bundled code and 1.3 MB of the process's memory after start-up, for a server that serves no metrics.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { mainJs, maildir } from './cli.js'

const recorder = fileURLToPath(new URL('./record-modules.mjs', import.meta.url))

/** The module URLs `smtpure serve` loaded by the time it listened. */
const modulesLoaded = (args: ReadonlyArray<string>): Promise<string[]> => {
  const file = join(mkdtempSync(join(tmpdir(), 'smtpure-modules-')), 'loaded')
  writeFileSync(file, '')
  const child = spawn(process.execPath, ['--import', recorder, mainJs, 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SMTPURE_TEST_MODULES: file },
  })
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    child.stdout.on('data', (d) => {
      out += d
      if (!out.includes('listening on')) return
      child.kill('SIGKILL')
      resolve(readFileSync(file, 'utf8').split('\n').filter(Boolean))
    })
    child.on('exit', (code) => reject(new Error(`serve exited ${code} before it listened: ${err}`)))
  })
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
