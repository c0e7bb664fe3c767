// The `smtpure` command: `smtpure serve`, `smtpure send` and `smtpure simulate`. `main.cts` starts it.
import { loadClient } from './client.js'
import { runCommand } from './command.js'
import { guard } from './output.js'
import { EX_USAGE, UsageError } from './usage.js'

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
      return (await import('./send.js')).send(rest, loadClient)
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

// serve and simulate write on the streams: a reader that went away is no failure of theirs (output.ts)
guard(process.stdout)
guard(process.stderr)
runCommand(
  () => main(process.argv.slice(2)),
  (text) => process.stderr.write(text),
)
