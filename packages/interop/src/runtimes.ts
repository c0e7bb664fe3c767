// How to run a script on each runtime from a test on Node: the pinned `bun` and `deno` from
// node_modules, and the permissions the smtpure command needs on Deno.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export type RuntimeName = 'node' | 'bun' | 'deno'
export const runtimeNames: ReadonlyArray<RuntimeName> = ['node', 'bun', 'deno']

const bin = (name: string): string => fileURLToPath(new URL(`../../../node_modules/.bin/${name}`, import.meta.url))

/** Deno's permissions for the smtpure command: sockets, files (Maildir, certificates), the host name. */
export const denoPermissions = ['--allow-net', '--allow-read', '--allow-write', '--allow-sys=hostname']

/** The command line that runs `script` with `args` on `runtime`. */
export const commandLine = (
  runtime: RuntimeName,
  script: string,
  args: ReadonlyArray<string>,
): [string, ReadonlyArray<string>] => {
  switch (runtime) {
    case 'node':
      return [process.execPath, [script, ...args]]
    case 'bun':
      return [bin('bun'), [script, ...args]]
    case 'deno':
      return [bin('deno'), ['run', ...denoPermissions, script, ...args]]
  }
}

export interface Started {
  readonly child: ChildProcess
  readonly port: number
  readonly stdout: () => string
  readonly stderr: () => string
  readonly exited: Promise<number | null>
}

/**
 * Start a server script that prints `listening on HOST:PORT` and wait for that line; `line` gives
 * the whole command line instead of a runtime and a script, `cwd` the folder it runs in.
 */
export const startListening = (
  runtime: RuntimeName,
  script: string,
  args: ReadonlyArray<string>,
  more: { env?: Record<string, string>; line?: [string, ReadonlyArray<string>]; cwd?: string } = {},
): Promise<Started> =>
  new Promise((resolve, reject) => {
    const [cmd, argv] = more.line ?? commandLine(runtime, script, args)
    const child = spawn(cmd, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...more.env },
      ...(more.cwd ? { cwd: more.cwd } : {}),
    })
    let out = ''
    let err = ''
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    child.stderr!.on('data', (d) => (err += d))
    child.stdout!.on('data', (d) => {
      out += d
      const m = /^listening on [0-9.]+:(\d+)\n/.exec(out)
      if (m) resolve({ child, port: Number(m[1]), stdout: () => out, stderr: () => err, exited })
    })
    void exited.then((code) => reject(new Error(`${runtime} ${script} exited ${code}: ${err}`)))
  })

/** Run a script to its end. */
export const runToEnd = (
  runtime: RuntimeName,
  script: string,
  args: ReadonlyArray<string>,
  input?: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const [cmd, argv] = commandLine(runtime, script, args)
    const child = execFile(
      cmd,
      [...argv],
      { timeout: 60000, env: { ...process.env, ...env } },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
    child.stdin!.end(input ?? '')
  })
