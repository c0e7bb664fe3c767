// The bound row of the smtp-source bench: the least a Node server can do for that load with smtpure's
// durability. It answers with canned replies, reads only the verb and the RCPT address, and per recipient takes
// the Maildir store's steps (a file opened O_DSYNC in tmp/, one writev, close, rename into new/, then a sync of
// new/) before its 250, each in place as the store runs them on a quick file system (tmpfs). No grammar, limits,
// hooks or trace fields: not a server to run, a measure of what smtpure's own work per message costs above the
// system calls it must make.
// Usage: node floor-server.mjs --port N --maildir DIR   (prints `listening on HOST:PORT`)
import * as fs from 'node:fs'
import * as net from 'node:net'
import { parseArgs } from 'node:util'

const { values: v } = parseArgs({
  options: { port: { type: 'string' }, maildir: { type: 'string' }, 'max-size': { type: 'string' } },
})
const root = v.maildir
const { O_WRONLY, O_CREAT, O_EXCL, O_DSYNC } = fs.constants
const folders = new Map() // recipient -> { dir, fd of new/ }

const folder = (rcpt) => {
  let f = folders.get(rcpt)
  if (f === undefined) {
    const dir = `${root}/${rcpt}`
    for (const d of ['tmp', 'new', 'cur']) fs.mkdirSync(`${dir}/${d}`, { recursive: true })
    f = { dir, fd: fs.openSync(`${dir}/new`, 'r') }
    folders.set(rcpt, f)
  }
  return f
}

let count = 0
// Every step runs on the event loop, as the store runs each kind of step where steps of that kind are quick
// (tmpfs, the bench's Maildir root): a thread-pool round trip costs more than any of them there. Not for a disk,
// where the write (O_DSYNC) and the sync of new/ wait for it.
const storeCopy = (rcpt, body, done) => {
  const f = folder(rcpt)
  const name = `${Date.now()}.P${process.pid}Q${++count}.floor`
  const tmp = `${f.dir}/tmp/${name}`
  try {
    const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_DSYNC, 0o600)
    try {
      fs.writevSync(fd, body)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(tmp, `${f.dir}/new/${name}`)
    fs.fsyncSync(f.fd)
  } catch (e) {
    return done(e)
  }
  done(null)
}

const store = (rcpts, body, done) => {
  let left = rcpts.length
  let failure = null
  for (const r of rcpts)
    storeCopy(r, body, (e) => {
      failure ??= e
      if (--left === 0) done(failure)
    })
}

const server = net.createServer((socket) => {
  socket.setNoDelay(true)
  let data = null // the message's chunks while DATA runs
  let text = ''
  let rcpts = []
  socket.write('220 floor ESMTP\r\n')
  socket.on('data', (chunk) => {
    if (data !== null) {
      data.push(chunk)
      if (Buffer.concat(data.slice(-2)).toString('latin1').endsWith('\r\n.\r\n')) {
        const [body, to] = [data, rcpts]
        data = null
        rcpts = []
        store(to, body, (e) => socket.write(e ? '451 4.3.0 Error\r\n' : '250 2.0.0 Ok\r\n'))
      }
      return
    }
    text += chunk.toString('latin1')
    for (let end = text.indexOf('\r\n'); end !== -1; end = text.indexOf('\r\n')) {
      const line = text.slice(0, end)
      text = text.slice(end + 2)
      const verb = line.slice(0, 4).toUpperCase()
      if (verb === 'DATA') {
        socket.write('354 End data with <CR><LF>.<CR><LF>\r\n')
        data = text === '' ? [] : [Buffer.from(text, 'latin1')]
        text = ''
        return
      }
      if (verb === 'RCPT') rcpts.push(line.slice(line.indexOf('<') + 1, line.lastIndexOf('>')))
      socket.write(verb === 'QUIT' ? '221 2.0.0 Bye\r\n' : '250 2.0.0 Ok\r\n')
      if (verb === 'QUIT') socket.end()
    }
  })
  socket.on('error', () => undefined)
})
server.listen(Number(v.port ?? 0), '127.0.0.1', () => {
  const a = server.address()
  process.stdout.write(`listening on ${a.address}:${a.port}\n`)
})
process.on('SIGTERM', () => process.exit(0))
