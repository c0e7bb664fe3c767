// Runs the built `smtpure` command as a child process, as a user would.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { fileURLToPath } from 'node:url'

export const mainJs = fileURLToPath(new URL('../dist/main.cjs', import.meta.url))

export interface Running {
  readonly child: ChildProcess
  readonly port: number
  readonly stdout: () => string
  readonly stderr: () => string
  readonly exited: Promise<number | null>
}

/**
 * Start `smtpure serve` with `args` and wait for its one `listening on` line; `node` flags go before the
 * command, `env` is added to this process's environment.
 */
export const startServe = (
  args: ReadonlyArray<string>,
  options: { readonly node?: ReadonlyArray<string>; readonly env?: Record<string, string> } = {},
): Promise<Running> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.node ?? []), mainJs, 'serve', '--port', '0', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.env !== undefined ? { env: { ...process.env, ...options.env } } : {}),
    })
    let out = ''
    let err = ''
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    child.stderr!.on('data', (d) => (err += d))
    child.stdout!.on('data', (d) => {
      out += d
      const m = /^listening on ([0-9.]+):(\d+)\n/.exec(out)
      if (m) resolve({ child, port: Number(m[2]), stdout: () => out, stderr: () => err, exited })
    })
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${err}`)))
  })

/** Run `smtpure` to completion. */
export const runCli = (
  args: ReadonlyArray<string>,
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = execFile(process.execPath, [mainJs, ...args], { timeout: 60000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
    if (input !== undefined) child.stdin!.end(input)
  })

/** Run `smtpure` with extra environment variables. */
export const runCliEnv = (
  args: ReadonlyArray<string>,
  input: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [mainJs, ...args],
      { timeout: 60000, env: { ...process.env, ...env } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
    child.stdin!.end(input)
  })

/** `smtpure serve` processes for one test file, killed after each test. */
export const serveEachTest = (): ((args: string[]) => Promise<Running>) => {
  const running: Running[] = []
  afterEach(() => {
    for (const r of running.splice(0)) r.child.kill('SIGKILL')
  })
  return async (args) => {
    const r = await startServe(args)
    running.push(r)
    return r
  }
}

/**
 * Run a Python script (smtplib, a real peer) with extra environment variables; resolves with its stdout. Killed
 * after 60 s, under the test's own limit, so that a hung script fails with its stderr.
 */
export const python = (script: string, env: Record<string, string> = {}): Promise<string> =>
  new Promise((resolve, reject) =>
    execFile('python3', ['-c', script], { timeout: 60_000, env: { ...process.env, ...env } }, (e, out, err) =>
      e ? reject(new Error(`${e.message}\n${err}`)) : resolve(out),
    ),
  )

/** A fresh folder for Maildirs. */
export const maildir = (): string => mkdtempSync(join(tmpdir(), 'smtpure-mail-'))
