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

  it('text with --verbose: one readable line per event, debug ones and the transcript included', async () => {
    const r = await serve(['--maildir', maildir(), '--log-format', 'text', '--verbose'])
    await runCli(['send', '--server', `127.0.0.1:${r.port}`, '--from', '', '--to', 'a@example.com'], 'x\r\n')
    await expect.poll(() => r.stderr().includes('connection closed'), { timeout: 10000 }).toBe(true)
    const lines = r.stderr().trim().split('\n')
    const events = lines.filter((l) => !l.includes(' transcript '))
    expect(events.map((l) => l.split(' ').slice(1, 3).join(' '))).toEqual([
      'info connection',
      'debug hello',
      'info message',
      'info connection',
    ])
    expect(events[2]).toMatch(/ event=message .*from="" recipients=1 octets=3 verdict=accepted code=250$/)
    const said = lines
      .filter((l) => l.includes(' transcript '))
      .map((l) => /^\S+ debug transcript session=\S+ ([CS]: .*)$/.exec(l)?.[1])
    expect(said).toEqual(expect.arrayContaining(['C: EHLO localhost', 'C: MAIL FROM:<> SIZE=3', 'C: QUIT']))
    expect(said).toContain('C: [3 octets of message content]')
    expect(said.every((l) => l !== undefined)).toBe(true)
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

describe('smtpure send --log-format', () => {
  const sendLogged = (port: number, ...flags: string[]) =>
    runCli(
      [
        'send',
        '--server',
        `127.0.0.1:${port}`,
        '--allow-insecure-auth',
        '--user',
        'alice:pw-never-logged',
        '--auth-mech',
        'PLAIN',
        '--from',
        'bob@example.org',
        '--to',
        'alice@example.com',
        ...flags,
      ],
      'Subject: hi\r\n\r\nthe body is not logged\r\n',
    )
  const serveWithUser = () =>
    serve(['--maildir', maildir(), '--user', 'alice:pw-never-logged', '--allow-insecure-auth'])

  it('json --verbose: the events of the session and its transcript on stderr, the results on stdout', async () => {
    const r = await serveWithUser()
    const out = await sendLogged(r.port, '--log-format', 'json', '--verbose')
    expect(out.code).toBe(0)
    expect(out.stdout).toBe('alice@example.com 250 2.0.0 Ok: delivered\nmessage accepted: 250 2.0.0 Ok: delivered\n')
    const events = out.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    for (const e of events)
      expect(e).toMatchObject({ time: expect.stringMatching(/^\d{4}-/), session: events[0]!.session })
    expect(events.filter((e) => e.event !== 'transcript').map((e) => [e.level, e.event])).toEqual([
      ['info', 'connection'],
      ['info', 'hello'],
      ['info', 'auth'],
      ['info', 'message'],
      ['info', 'close'],
    ])
    expect(events.find((e) => e.event === 'connection')).toMatchObject({ host: '127.0.0.1', port: r.port, tls: false })
    expect(events.find((e) => e.event === 'auth')).toMatchObject({ mechanism: 'PLAIN', result: 'accepted', code: 235 })
    expect(events.find((e) => e.event === 'message')).toMatchObject({
      recipients: 1,
      accepted: 1,
      refused: 0,
      verdict: 'accepted',
      code: 250,
      reply: '250 2.0.0 Ok: delivered',
    })
    expect(events.find((e) => e.event === 'close')).toMatchObject({ cause: 'quit', messages: 1 })
    const transcript = events
      .filter((e) => e.event === 'transcript')
      .map((e) => `${e.dir as string}: ${e.line as string}`)
    expect(transcript).toEqual(expect.arrayContaining(['C: EHLO localhost', 'C: AUTH PLAIN ***', 'C: QUIT']))
    expect(transcript).toContainEqual(expect.stringMatching(/^C: MAIL FROM:<bob@example\.org>/))
    expect(transcript.some((l) => /^C: \[\d+ octets of message content\]$/.test(l))).toBe(true)
    expect(events.every((e) => e.level !== 'debug' || e.event === 'transcript')).toBe(true)
    expect(out.stderr).not.toContain('pw-never-logged')
    expect(out.stderr).not.toContain(Buffer.from('\0alice\0pw-never-logged').toString('base64'))
    expect(out.stderr).not.toContain('the body is not logged')
  })

  it('json without --verbose: no transcript', async () => {
    const r = await serveWithUser()
    const out = await sendLogged(r.port, '--log-format', 'json')
    expect(out.code).toBe(0)
    const events = out.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(events.map((e) => e.event)).toEqual(['connection', 'hello', 'auth', 'message', 'close'])
  })

  it('a connection that cannot be made: no session, no events, the one plain line', async () => {
    const out = await runCli(
      ['send', '--server', '127.0.0.1:1', '--from', 'a@b.example', '--to', 'c@d.example', '--log-format', 'text', '-'],
      'x\r\n',
    )
    expect(out.code).toBe(75)
    expect(out.stderr).toBe(
      'smtpure send: cannot connect to the server at 127.0.0.1:1: connection refused (ECONNREFUSED)\n',
    )
  })

  it.each([
    [['--log-format', 'yaml'], 'smtpure: --log-format: expected text or json, given "yaml"\n'],
    [['--verbose'], 'smtpure: --verbose needs --log-format text or json\n'],
  ])('%j is a usage error (64) before connecting', async (args, line) => {
    const out = await runCli(
      ['send', '--server', '127.0.0.1:1', '--from', 'a@b.example', '--to', 'c@d.example', ...args, '-'],
      '',
    )
    expect(out).toEqual({ code: 64, stdout: '', stderr: line })
  })
})

describe('--log-format text and what a peer chose', () => {
  it('a field with control characters (a username from AUTH) is quoted and escaped, never written as it is', async () => {
    const { lineLogger } = await import('../src/log.js')
    const lines: string[] = []
    const logger = lineLogger('text', false, (l) => lines.push(l))
    logger.warn({ event: 'auth', username: 'bob\x1b[2J\x07\u009b31m\u2028x', code: 535 }, 'auth refused')
    expect(lines).toHaveLength(1)
    // eslint-disable-next-line no-control-regex -- the characters a terminal acts on
    expect(lines[0]).not.toMatch(/[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]/)
    expect(lines[0]).toContain(String.raw`username="bob\u001b[2J\u0007\x9b31m\u2028x"`)
  })
})
