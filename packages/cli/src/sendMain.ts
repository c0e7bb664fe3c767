// `smtpure send` alone, on Node: the entry of the bundle main.cts runs for `send` (scripts/bundle.mjs), which
// carries the Node client and nothing of serve, simulate or the metrics. It behaves as `smtpure send` of cli.ts.
import { runCommand } from './command.js'
import { connectSmtp } from './nodeClient.js'
import { stderr } from './output.js'
import { send } from './send.js'

runCommand(() => send(process.argv.slice(3), () => Promise.resolve(connectSmtp)), stderr)
