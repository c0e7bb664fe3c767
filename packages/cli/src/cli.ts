// The `smtpure` command: `smtpure serve`, `smtpure send` and `smtpure simulate`. `main.ts` starts it.
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

const help = `Usage: smtpure <command> [options]

Commands:
  serve     run a small SMTP server that delivers into Maildirs
  send      submit one message to an SMTP server
  simulate  run seeded simulations of mail flow in memory, with faults

Run \`smtpure <command> --help\` for the options of each, \`smtpure --version\` for the version.
`

const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  const [command, ...rest] = argv
  switch (command) {
    // each command loads only its own modules: `send` starts without the server's, and one process a message
    // is how `send` is often run
    case 'serve':
      return (await import('./serve.js')).serve(rest)
    case 'send':
      return (await import('./send.js')).send(rest)
    case 'simulate':
      return (await import('./simulate.js')).simulate(rest)
    case '--version':
      process.stdout.write(`smtpure ${(await import('./log.js')).version()}\n`)
      return 0
    case '-h':
    case '--help':
    case undefined: {
      if (command === undefined) {
        process.stdout.write(help)
        return EX_USAGE
      }
      process.stdout.write(help) // each command's own options: `smtpure <command> --help`
      return 0
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)} (try smtpure --help)`)
  }
}

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

// A reader that went away (`smtpure send ... | head -0`) is no failure of the command: what it would have
// read is dropped, and the exit code still says what happened.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e
  })

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const usage =
      e instanceof UsageError || (e instanceof Error && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))
    process.stderr.write(`smtpure: ${oneLine(e instanceof Error ? e.message : String(e))}\n`)
    process.exit(usage ? EX_USAGE : exitCodeOf(e))
  },
)
