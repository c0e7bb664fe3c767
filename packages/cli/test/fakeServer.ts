// Small fake SMTP servers for client tests: a Node server that answers each command line with a script
// of our choosing, and a Python server that reads message data slowly (a small receive buffer and
// pauses), as a congested or deliberately slow peer would.
import { type ChildProcess, spawn } from 'node:child_process'
import * as net from 'node:net'
import { afterEach } from 'vitest'

/** What to write for a command line; undefined writes nothing (the server goes quiet), `hangUp` closes. */
export type Script = (line: string) => string | undefined

/** A script's answer that closes the connection at once, with nothing written. */
export const hangUp = '\u0000hang up'

const answer = (socket: net.Socket, r: string | undefined): void => {
  if (r === hangUp) socket.destroy()
  else if (r !== undefined) socket.write(r)
}

const open: Array<{ close: () => void }> = []
afterEach(() => {
  for (const s of open.splice(0)) s.close()
})

/** A server that greets with `greeting`, then answers each line it reads with `script(line)`. */
export const fakeServer = async (greeting: string, script: Script): Promise<number> => {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => undefined)
    socket.on('close', () => sockets.delete(socket))
    socket.write(greeting)
    let buffer = ''
    let inData = false
    socket.on('data', (d) => {
      buffer += d.toString('latin1')
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n')
          if (end < 0) return
          buffer = buffer.slice(end + 5)
          inData = false
          answer(socket, script('.'))
          continue
        }
        const lf = buffer.indexOf('\n')
        if (lf < 0) return
        const line = buffer.slice(0, lf).replace(/\r$/, '')
        buffer = buffer.slice(lf + 1)
        const r = script(line)
        answer(socket, r)
        if (/^DATA$/i.test(line) && r?.startsWith('354')) inData = true
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  open.push({
    close: () => {
      for (const s of sockets) s.destroy()
      server.close()
    },
  })
  return (server.address() as net.AddressInfo).port
}

/** A plain, willing server: 250 to everything, 354 to DATA, 221 to QUIT. */
export const willing: Script = (line) => {
  if (/^EHLO/i.test(line)) return '250-fake.example\r\n250 8BITMIME\r\n'
  if (/^DATA$/i.test(line)) return '354 Go ahead\r\n'
  if (/^QUIT$/i.test(line)) return '221 Bye\r\n'
  if (line === '.') return '250 2.0.0 Queued\r\n'
  return '250 Ok\r\n'
}

const slowReader = String.raw`
import socket, sys, time
chunk, pause = int(sys.argv[1]), float(sys.argv[2])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2 * chunk)  # fixed, no autotuning: what we do not read waits
srv.bind(('127.0.0.1', 0)); srv.listen(1)
print(srv.getsockname()[1], flush=True)
c, _ = srv.accept()
c.sendall(b'220 slow.example ESMTP\r\n')
buf = b''
def line():
    global buf
    while b'\n' not in buf:
        d = c.recv(4096)
        if not d: sys.exit(0)
        buf += d
    l, buf = buf.split(b'\n', 1)
    return l.strip()
while True:
    l = line().upper()
    if l.startswith(b'EHLO'): c.sendall(b'250-slow.example\r\n250 8BITMIME\r\n')
    elif l == b'DATA':
        c.sendall(b'354 Go ahead\r\n')
        while b'\r\n.\r\n' not in buf:
            time.sleep(pause)  # a steady reader, but a slow one
            d = c.recv(chunk)
            if not d: sys.exit(0)
            buf = buf[-4:] + d
        buf = buf.split(b'\r\n.\r\n', 1)[1]
        c.sendall(b'250 2.0.0 Got it all\r\n')
    elif l == b'QUIT':
        c.sendall(b'221 Bye\r\n'); break
    else: c.sendall(b'250 Ok\r\n')
`

/** A Python server that takes message data `chunk` octets at a time, `pauseS` seconds apart. */
export const slowServer = (chunk: number, pauseS: number): Promise<{ port: number; child: ChildProcess }> =>
  new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', slowReader, String(chunk), String(pauseS)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    open.push({ close: () => child.kill('SIGKILL') })
    child.stdout!.once('data', (d) => resolve({ port: Number(String(d).trim()), child }))
    child.once('exit', (code) => reject(new Error(`slow server exited ${code}`)))
  })
