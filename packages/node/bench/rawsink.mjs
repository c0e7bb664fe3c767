// A minimal SMTP sink for client benchmarks, so that the server costs as little as possible and
// the clients' own costs show: it answers each command line with a canned reply, skips message
// data up to CRLF.CRLF, and writes the replies of one read in one write. Not a real server.
// Prints `listening on HOST:PORT`.
import * as net from 'node:net'

const server = net.createServer((socket) => {
  socket.setNoDelay(true)
  let buffer = ''
  let inData = false
  socket.write('220 rawsink ESMTP\r\n')
  socket.on('data', (d) => {
    buffer += d.toString('latin1')
    let out = ''
    for (;;) {
      if (inData) {
        const end = buffer.indexOf('\r\n.\r\n')
        const start = buffer.startsWith('.\r\n') ? 0 : -1
        if (start === 0) buffer = buffer.slice(3)
        else if (end === -1) {
          buffer = buffer.slice(Math.max(0, buffer.length - 4))
          break
        } else buffer = buffer.slice(end + 5)
        inData = false
        out += '250 2.0.0 Ok\r\n'
        continue
      }
      const i = buffer.indexOf('\r\n')
      if (i === -1) break
      const verb = buffer.slice(0, 4).toUpperCase()
      buffer = buffer.slice(i + 2)
      if (verb === 'EHLO') out += '250-rawsink\r\n250-PIPELINING\r\n250 8BITMIME\r\n'
      else if (verb === 'DATA') {
        out += '354 Go\r\n'
        inData = true
        buffer = '\r\n' + buffer // the DATA line's CRLF starts the first line
      } else if (verb === 'QUIT') {
        out += '221 Bye\r\n'
        socket.end(out)
        return
      } else out += '250 Ok\r\n'
    }
    if (out !== '') socket.write(out)
  })
  socket.on('error', () => undefined)
})
server.listen(0, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${server.address().port}`))
process.once('SIGTERM', () => process.exit(0))
