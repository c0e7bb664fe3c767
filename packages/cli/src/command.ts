// How the command ends, the same for every command and entry (cli.ts, and sendMain.ts for the bundle of
// `smtpure send`): the exit code the command returns, or for an error it stopped on one line on stderr
// and its sysexits code.
import {
  CantCreateError,
  ConfigError,
  EX_CANTCREAT,
  EX_CONFIG,
  EX_NOINPUT,
  EX_SOFTWARE,
  EX_UNAVAILABLE,
  EX_USAGE,
  InputError,
  UnavailableError,
  UsageError,
  oneLine,
} from './usage.js'

/** The sysexits code for an error the command stopped on. */
const exitCodeOf = (e: unknown): number =>
  e instanceof InputError
    ? EX_NOINPUT
    : e instanceof UnavailableError
      ? EX_UNAVAILABLE
      : e instanceof CantCreateError
        ? EX_CANTCREAT
        : e instanceof ConfigError
          ? EX_CONFIG
          : EX_SOFTWARE

/**
 * Run `command` and exit the process with its exit code, or with one line written by `errorLine` (on standard
 * error: the stream, or output.ts where the command writes by that) and the error's code.
 */
export const runCommand = (command: () => Promise<number>, errorLine: (text: string) => void): void => {
  command().then(
    (code) => process.exit(code),
    (e: unknown) => {
      const usage =
        e instanceof UsageError || (e instanceof Error && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))
      errorLine(`smtpure: ${oneLine(e instanceof Error ? e.message : String(e))}\n`)
      process.exit(usage ? EX_USAGE : exitCodeOf(e))
    },
  )
}
