// How dist/main.cjs starts `smtpure send` on Node: the script of its own (dist/bin/send.cjs) with its code
// cache, used only while it matches the compiled modules, and behaving as the modules do.
import { execFile, execFileSync, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { fakeServer } from './fakeServer.js'

const cli = fileURLToPath(new URL('..', import.meta.url))
const script = join(cli, 'dist/bin/send.cjs')

type Result = { code: number; stdout: string; stderr: string }
const run = (file: string, args: ReadonlyArray<string>, input = '', node: string[] = []): Promise<Result> =>
  new Promise((resolve) => {
    const child = execFile(process.execPath, [...node, file, ...args], { timeout: 20000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
    child.stdin!.end(input)
  })

describe('smtpure send on Node', () => {
  it('the build made a code cache this Node takes for the send script', () => {
    // compiled as main.js compiles it, in a process of its own: V8 rejects a cache that does not fit
    const check = [
      "import { readFileSync } from 'node:fs'",
      "import { Script } from 'node:vm'",
      'const [file] = process.argv.slice(1)',
      "const s = new Script(readFileSync(file, 'utf8'), { filename: file, cachedData: readFileSync(`${file}.cache`) })",
      'process.stdout.write(String(s.cachedDataRejected))',
    ].join('\n')
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', check, script], { encoding: 'utf8' })
    expect(out).toBe('false')
  })

  it('behaves as the separate modules: the same lines and exit codes', async () => {
    // a server that refuses nobody@, and the data when it accepted no recipient (RFC 5321 3.3)
    let accepted = 0
    const port = await fakeServer('220 fake ESMTP\r\n', (line) => {
      if (/^EHLO/i.test(line)) return '250-fake\r\n250 PIPELINING\r\n'
      if (/^MAIL/i.test(line)) accepted = 0
      if (/^RCPT TO:<nobody@/i.test(line)) return '550 5.1.1 No such user\r\n'
      if (/^RCPT/i.test(line)) accepted++
      if (/^DATA/i.test(line)) return accepted > 0 ? '354 go ahead\r\n' : '554 5.5.1 No valid recipients\r\n'
      return /^QUIT/i.test(line) ? '221 2.0.0 Bye\r\n' : '250 2.0.0 Ok\r\n'
    })
    const server = ['--server', `127.0.0.1:${port}`, '--from', 'bob@example.org']
    const cases: Array<ReadonlyArray<string>> = [
      [...server, '--to', 'alice@example.com', '--to', 'nobody@example.com', '-'],
      [...server, '--to', 'alice@example.com', '--log-format', 'text', '-'],
      [...server, '--to', 'nobody@example.com', '-'],
      [...server, '--to', 'not a mailbox', '-'],
      [...server, '--to', 'alice@example.com', '--starttls', '-'],
      [...server, '--to', 'alice@example.com', join(cli, 'no-such-file.eml')],
      ['--server', '127.0.0.1:1', '--from', 'bob@example.org', '--to', 'alice@example.com', '-'],
      ['--bogus'],
      ['--version'],
      ['--help'],
    ]
    // log lines carry times and session ids that differ from run to run
    const steady = (r: Result): Result => ({
      ...r,
      stderr: r.stderr.replace(/^\S+Z (\w+) /gm, '<time> $1 ').replace(/(session|transaction)=[^\s.]+/g, '$1=<id>'),
    })
    for (const args of cases) {
      const bundled = await run(join(cli, 'dist/main.cjs'), ['send', ...args], 'Subject: hi\r\n\r\nHello.\r\n')
      const modules = await run(join(cli, 'dist/cli.js'), ['send', ...args], 'Subject: hi\r\n\r\nHello.\r\n')
      expect(steady(bundled), args.join(' ')).toEqual(steady(modules))
    }
  })

  it('runs the script only while it matches the compiled modules (their build info), else the modules', async () => {
    // a copy of the package whose send script says that it ran; the modules find the workspace's packages
    const root = mkdtempSync(join(tmpdir(), 'smtpure-startup-'))
    try {
      const pkg = join(root, 'packages/cli')
      cpSync(join(cli, 'dist'), join(pkg, 'dist'), { recursive: true })
      cpSync(join(cli, 'package.json'), join(pkg, 'package.json'))
      symlinkSync(fileURLToPath(new URL('../../../node_modules', import.meta.url)), join(root, 'node_modules'))
      writeFileSync(
        join(pkg, 'dist/bin/send.cjs'),
        "(function (exports, require) { process.stdout.write('the send script\\n') })",
      )
      rmSync(join(pkg, 'dist/bin/send.cjs.cache'))
      const main = join(pkg, 'dist/main.cjs')
      const info = (text: string): void => writeFileSync(join(pkg, 'tsconfig.tsbuildinfo'), text)
      writeFileSync(join(pkg, 'dist/bin/tsbuildinfo'), '{"version":"1"}')

      info('{"version":"1"}')
      expect((await run(main, ['send'])).stdout).toBe('the send script\n')
      // compiled again since the bundles were made (`tsc -b` alone): the modules run, and say what is missing
      info('{"version":"2"}')
      expect(await run(main, ['send'])).toEqual({
        code: 64,
        stdout: '',
        stderr: 'smtpure: --from is required (use --from "" for the null reverse path)\n',
      })
      // an installed package has no build info: the script runs
      rmSync(join(pkg, 'tsconfig.tsbuildinfo'))
      expect((await run(main, ['send'])).stdout).toBe('the send script\n')
      // no bundles made: the modules run
      rmSync(join(pkg, 'dist/bin/tsbuildinfo'))
      expect((await run(main, ['send'])).code).toBe(64)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('loads node:tls and node:crypto only when the session needs them', async () => {
    const port = await fakeServer('220 fake ESMTP\r\n', (line) =>
      /^DATA/i.test(line) ? '354 go ahead\r\n' : /^QUIT/i.test(line) ? '221 2.0.0 Bye\r\n' : '250 2.0.0 Ok\r\n',
    )
    // preloaded: at exit, which of them Node has loaded
    const dir = mkdtempSync(join(tmpdir(), 'smtpure-loaded-'))
    const loaded = join(dir, 'loaded.cjs')
    writeFileSync(
      loaded,
      "process.on('exit', () => process.stderr.write(process.moduleLoadList.filter((m) => /^NativeModule (tls|crypto)$/.test(m)).join() + '\\n'))",
    )
    try {
      const send = (...more: string[]): Promise<Result> =>
        run(
          join(cli, 'dist/main.cjs'),
          [
            'send',
            '--server',
            `127.0.0.1:${port}`,
            '--from',
            'bob@example.org',
            '--to',
            'alice@example.com',
            ...more,
            '-',
          ],
          'Subject: hi\r\n\r\nHello.\r\n',
          ['--require', loaded],
        )
      expect(await send()).toMatchObject({ code: 0, stderr: '\n' })
      // the log's session ids are random: crypto, not tls
      expect((await send('--log-format', 'json')).stderr.split('\n').at(-2)).toBe('NativeModule crypto')
      // a server that offers no STARTTLS: refused before any TLS, which still needed node:tls to be asked for
      expect(await send('--starttls')).toMatchObject({ code: 69 })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('writes its output at once: a megabyte to a pipe read slowly arrives whole before the process exits', async () => {
    const write = [
      `import { stdout } from ${JSON.stringify(join(cli, 'dist/output.js'))}`,
      "stdout('x'.repeat(1 << 20) + '\\n')",
      'process.exit(0)',
    ].join('\n')
    const child = spawn(process.execPath, ['--input-type=module', '-e', write], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let got = 0
    child.stdout.on('data', (d: Buffer) => {
      got += d.length
      // a reader slower than the writer: the pipe fills, and each write waits for room
      child.stdout.pause()
      setTimeout(() => child.stdout.resume(), 1)
    })
    const code = await new Promise((resolve) => child.on('close', resolve))
    expect({ code, got }).toEqual({ code: 0, got: (1 << 20) + 1 })
  })
})
