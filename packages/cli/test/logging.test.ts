// `smtpure serve --log-format` and `--verbose`, and `--version` on every entry point.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { maildir, runCli, serveEachTest } from './cli.js'

const serve = serveEachTest()
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }

const sendOne = (port: number) =>
  runCli(
    [
      'send',
      '--server',
      `127.0.0.1:${port}`,
      '--allow-insecure-auth',
      '--user',
      'alice:pw-never-logged',
      '--from',
      'bob@example.org',
      '--to',
      'alice@example.com',
    ],
    'Subject: hi\r\n\r\nhello\r\n',
  )

const eventsOf = async (stderr: () => string, n: number): Promise<Array<Record<string, unknown>>> => {
  await expect.poll(() => stderr().includes('"event":"close"'), { timeout: 10000 }).toBe(true)
  return stderr()
    .trim()
    .split('\n')
    .slice(0, n === 0 ? undefined : n)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe('smtpure serve --log-format', () => {
  it('json: one object per line for each event of the session, no password', async () => {
    const r = await serve([
      '--maildir',
      maildir(),
      '--user',
      'alice:pw-never-logged',
      '--allow-insecure-auth',
      '--log-format',
      'json',
    ])
    expect((await sendOne(r.port)).code).toBe(0)
    const events = await eventsOf(r.stderr, 0)
    expect(events.map((e) => [e.level, e.event])).toEqual([
      ['info', 'connection'],
      ['info', 'auth'],
      ['info', 'message'],
      ['info', 'close'],
    ])
    for (const e of events) expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(events[1]).toMatchObject({ username: 'alice', result: 'accepted' })
    expect(events[2]).toMatchObject({ from: 'bob@example.org', recipients: 1, verdict: 'accepted', code: 250 })
    expect(events[3]).toMatchObject({ cause: 'quit', messages: 1 })
    expect(r.stderr()).not.toContain('pw-never-logged')
  })

  it('text with --verbose: one readable line per event, debug ones included', async () => {
    const r = await serve(['--maildir', maildir(), '--log-format', 'text', '--verbose'])
    await runCli(['send', '--server', `127.0.0.1:${r.port}`, '--from', '', '--to', 'a@example.com'], 'x\r\n')
    await expect.poll(() => r.stderr().includes('connection closed'), { timeout: 10000 }).toBe(true)
    const lines = r.stderr().trim().split('\n')
    expect(lines.map((l) => l.split(' ').slice(1, 3).join(' '))).toEqual([
      'info connection',
      'debug hello',
      'info message',
      'info connection',
    ])
    expect(lines[2]).toMatch(/ event=message .*from="" recipients=1 octets=3 verdict=accepted code=250$/)
  })

  it.each([
    [['--log-format', 'xml'], 'smtpure: --log-format: expected text or json, given "xml"\n'],
    [['--verbose'], 'smtpure: --verbose needs --log-format text or json\n'],
  ])('%j is a usage error (64) with one line', async (args, line) => {
    const r = await runCli(['serve', '--port', '0', ...args])
    expect(r).toEqual({ code: 64, stdout: '', stderr: line })
  })
})

describe('--version', () => {
  it.each([[['--version']], [['serve', '--version']], [['send', '--version']]])(
    '%j prints the version',
    async (args) => {
      expect(await runCli(args)).toEqual({ code: 0, stdout: `smtpure ${version}\n`, stderr: '' })
    },
  )
})
