// Shared test pieces: a server that keeps what it accepted, a raw socket client, and a Python
// smtplib client (a real peer we did not write).
import { execFile } from 'node:child_process'
import * as net from 'node:net'
import type { Credentials } from '@smtpure/core'
import { type SmtpServer, type SmtpServerOptions, createSmtpServer } from '../src/index.js'

export interface Stored {
  readonly from: string | null
  readonly to: ReadonlyArray<string>
  readonly body: string
}

export const startServer = async (
  options: Omit<SmtpServerOptions, 'hooks'> & { users?: Record<string, string> } = {},
): Promise<{ server: SmtpServer; port: number; stored: Stored[]; errors: unknown[] }> => {
  const stored: Stored[] = []
  const errors: unknown[] = []
  const { users = {}, ...serverOptions } = options
  const server = createSmtpServer({
    ...serverOptions,
    onError: (e) => errors.push(e),
    hooks: {
      onAuth: (c: Credentials) => {
        if (c.mechanism === 'PLAIN' || c.mechanism === 'LOGIN') {
          if (users[c.username] === c.password) return
        }
        return { code: 535, enhanced: '5.7.8', lines: ['Authentication credentials invalid'] }
      },
      onMessage: async (m) => {
        const parts: Buffer[] = []
        for await (const c of m.chunks) parts.push(Buffer.from(c))
        stored.push({
          from: m.envelope.from === null ? null : `${m.envelope.from.localPart}@${m.envelope.from.domain}`,
          to: m.envelope.recipients.map((r) => `${r.to.localPart}@${r.to.domain}`),
          body: Buffer.concat(parts).toString('latin1'),
        })
        return { code: 250, enhanced: '2.0.0', lines: [`Ok: queued as ${stored.length}`] }
      },
    },
  })
  const { port } = await server.listen(0)
  return { server, port, stored, errors }
}

/**
 * A raw client: write bytes, read everything the server says until it closes or `ms` pass, or until what it
 * said matches `done` and 200 ms more have passed (for a session the server keeps open).
 */
export const rawSession = (
  port: number,
  writes: ReadonlyArray<string | Buffer>,
  ms = 10_000,
  done?: RegExp,
): Promise<string> =>
  new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    let got = ''
    let ending: ReturnType<typeof setTimeout> | undefined
    socket.on('data', (d) => {
      got += d.toString('latin1')
      // what was awaited came: anything that follows it in the next 200 ms is read too, so it can be refused
      if (done !== undefined && ending === undefined && done.test(got)) ending = setTimeout(() => socket.destroy(), 200)
    })
    socket.on('error', () => undefined)
    const timer = setTimeout(() => socket.destroy(), ms)
    socket.on('close', () => {
      clearTimeout(timer)
      clearTimeout(ending)
      resolve(got)
    })
    socket.once('data', () => {
      for (const w of writes) socket.write(w)
    })
  })

/** Run a Python script with smtplib against the server; resolves with its stdout. */
export const python = (script: string, env: Record<string, string> = {}): Promise<string> =>
  new Promise((resolve, reject) => {
    execFile('python3', ['-c', script], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    )
  })
