// The training run of the `smtpure send` bundle (scripts/bundle.mjs): node scripts/codeCache.mjs SCRIPT.
// Runs SCRIPT as main.cts does, sending one message to a small SMTP responder on loopback, and when the
// command exits writes the code V8 compiled for the script, the functions the run called included, to
// SCRIPT.cache: main.cts hands it to V8, which then compiles almost nothing at start-up.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { Script } from 'node:vm'

const file = resolve(process.argv[2])

// Replies as an SMTP server that takes any message (RFC 5321 4.2 reply codes; PIPELINING as most servers
// offer it, RFC 2920), one reply per command line, and the end of the data found across reads.
const responder = createServer((socket) => {
  let pending = ''
  let data = false
  socket.write('220 training.invalid ESMTP\r\n')
  socket.on('data', (chunk) => {
    pending += chunk.toString('latin1')
    for (;;) {
      if (data) {
        const end = pending.indexOf('\r\n.\r\n')
        if (end === -1) return
        pending = pending.slice(end + 5)
        data = false
        socket.write('250 2.0.0 Ok\r\n')
        continue
      }
      const eol = pending.indexOf('\r\n')
      if (eol === -1) return
      const verb = pending.slice(0, 4).toUpperCase()
      pending = pending.slice(eol + 2)
      if (verb === 'EHLO')
        socket.write('250-training.invalid\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 10240000\r\n')
      else if (verb === 'DATA') {
        data = true
        socket.write('354 End data with <CR><LF>.<CR><LF>\r\n')
      } else if (verb === 'QUIT') return void socket.end('221 2.0.0 Bye\r\n')
      else socket.write('250 2.0.0 Ok\r\n')
    }
  })
  socket.on('error', () => socket.destroy())
})
await new Promise((ok) => responder.listen(0, '127.0.0.1', ok))
responder.unref()

const folder = mkdtempSync(join(tmpdir(), 'smtpure-training-'))
const message = join(folder, 'message.eml')
writeFileSync(message, 'From: a@example.org\r\nSubject: training\r\n\r\nHello.\r\n')
const { port } = responder.address()
process.argv = [process.argv[0], file, 'send', '--server', `127.0.0.1:${port}`]
process.argv.push('--from', 'a@example.org', '--to', 'b@example.com', message)

const script = new Script(readFileSync(file, 'utf8'), { filename: file })
process.on('exit', (code) => {
  rmSync(folder, { recursive: true, force: true })
  // a run that failed may have left out what a real one compiles: no cache then
  if (code === 0) writeFileSync(`${file}.cache`, script.createCachedData())
})
setTimeout(() => process.exit(1), 30000).unref()
const module = { exports: {} }
// the `require` main.cts gives: Node's own modules only
const require =
  typeof process.getBuiltinModule === 'function' ? (id) => process.getBuiltinModule(id) : createRequire(file)
script.runInThisContext()(module.exports, require, module, file, dirname(file))
