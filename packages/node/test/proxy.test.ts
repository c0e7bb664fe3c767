// The PROXY option on real sockets: a trusted source's header sets the address hooks see, SMTP sent in
// the same packet as the header is kept, and a trusted source without a valid header is dropped.
import * as net from 'node:net'
import * as tls from 'node:tls'
import { afterEach, describe, expect, it } from 'vitest'
import { type SmtpServer, createSmtpServer } from '../src/index.js'
import { makeCerts } from './certs.js'
import { proxyTlvInfo } from '@smtpure/core'
import { OptionsError, type SessionInfo } from '@smtpure/driver'

const servers: SmtpServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close(1000)
})

const start = async (timeoutMs = 5000, trusted = ['127.0.0.0/8']) => {
  const seen: string[] = []
  const errors: string[] = []
  const server = createSmtpServer({
    proxy: { trusted, timeoutMs },
    onError: (e) => errors.push(String(e)),
    hooks: { onHello: (_h, session) => void seen.push(session.remoteAddress) },
  })
  servers.push(server)
  const { port } = await server.listen(0)
  return { port, seen, errors }
}

/** Write each piece in its own packet; collect everything until the server closes or `ms` pass. */
const talk = (port: number, pieces: ReadonlyArray<Buffer>, ms = 3000): Promise<string> =>
  new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1', async () => {
      for (const p of pieces) {
        c.write(p)
        await new Promise((r) => setTimeout(r, 20))
      }
    })
    let got = ''
    c.on('data', (d) => (got += d.toString('latin1')))
    c.on('error', () => undefined)
    c.on('close', () => resolve(got))
    setTimeout(() => c.end(), ms)
  })

const v2Header = (): Buffer => {
  const sig = Buffer.from('0d0a0d0a000d0a515549540a', 'hex')
  const block = Buffer.from([0x21, 0x11, 0, 12, 198, 51, 100, 7, 127, 0, 0, 1, 0x9c, 0x40, 0, 25])
  return Buffer.concat([sig, block])
}

describe('createSmtpServer proxy option', () => {
  it('a v1 header cut across packets, with EHLO in the same packet as its end: hooks see the client', async () => {
    const { port, seen } = await start()
    const got = await talk(port, [
      Buffer.from('PROXY TCP6 2001:db8::7 ::1 4000 25'),
      Buffer.from('\r\nEHLO c.example\r\nQUIT\r\n'),
    ])
    expect(got).toMatch(/^220 [^\r]*\r\n250-localhost\r\n[\s\S]*221 /)
    expect(seen).toEqual(['2001:db8::7'])
  })
  it('a v2 header followed by SMTP in one packet', async () => {
    const { port, seen } = await start()
    await talk(port, [Buffer.concat([v2Header(), Buffer.from('EHLO c.example\r\nQUIT\r\n')])])
    expect(seen).toEqual(['198.51.100.7'])
  })
  it('a v2 header for a UNIX socket or UDP leaves the real connection as the client (PROXY protocol 2.2: UNSPEC)', async () => {
    const sig = Buffer.from('0d0a0d0a000d0a515549540a', 'hex')
    const path = (p: string) => Buffer.concat([Buffer.from(p, 'latin1'), Buffer.alloc(108 - p.length)])
    const unixBlock = Buffer.concat([Buffer.from([0x21, 0x31, 0, 216]), path('/tmp/a\u00ffevil'), path('/run/b')])
    const udp = Buffer.from([0x21, 0x12, 0, 12, 198, 51, 100, 7, 127, 0, 0, 1, 0x9c, 0x40, 0, 25])
    const seen: Array<readonly [string, number | undefined]> = []
    const server = createSmtpServer({
      proxy: { trusted: ['127.0.0.1'] },
      hooks: { onHello: (_h, session) => void seen.push([session.remoteAddress, session.localPort]) },
    })
    servers.push(server)
    const { port } = await server.listen(0)
    for (const block of [unixBlock, udp]) {
      const got = await talk(port, [Buffer.concat([sig, block, Buffer.from('EHLO c.example\r\nQUIT\r\n')])])
      expect(got).toMatch(/^220 [\s\S]*221 /)
    }
    expect(seen).toEqual([
      ['127.0.0.1', port],
      ['127.0.0.1', port],
    ])
  })
  it('hooks see the v2 header itself, with its TLVs (PROXY protocol 2.2.2)', async () => {
    let header: SessionInfo['proxy']
    const server = createSmtpServer({
      proxy: { trusted: ['127.0.0.1'] },
      hooks: { onHello: (_h, session) => void (header = session.proxy) },
    })
    servers.push(server)
    const { port } = await server.listen(0)
    const h = v2Header()
    const tlv = Buffer.concat([Buffer.from([0x02, 0, 10]), Buffer.from('mx.example')])
    h.writeUInt16BE(12 + tlv.length, 14)
    await talk(port, [Buffer.concat([h, tlv, Buffer.from('EHLO c.example\r\nQUIT\r\n')])])
    expect(header).toMatchObject({ _tag: 'Proxied', version: 2, source: { address: '198.51.100.7', port: 40000 } })
    expect(proxyTlvInfo(header!.tlvs)).toEqual({ authority: 'mx.example' })
  })
  it('a trusted source that sends SMTP instead of a header is dropped without a greeting', async () => {
    const { port, seen, errors } = await start()
    const got = await talk(port, [Buffer.from('EHLO c.example\r\n')])
    expect(got).toBe('')
    expect(seen).toEqual([])
    expect(errors.join()).toContain('a trusted source sent no PROXY header')
  })
  it('a malformed header and one past the deadline are dropped', async () => {
    const { port, errors } = await start(300)
    expect(await talk(port, [Buffer.from('PROXY TCP4 1.2.3.04 1.2.3.4 1 25\r\n')])).toBe('')
    expect(await talk(port, [Buffer.from('PROXY TCP4 1.2.3.4')], 2000)).toBe('')
    expect(errors.join('\n')).toMatch(/heading zero|without heading zeroes/)
    expect(errors.join('\n')).toContain('no whole PROXY header within 300 ms')
  })
  it('an oversized v2 header is dropped as soon as its length is read', async () => {
    const { port, errors } = await start()
    const big = v2Header()
    big.writeUInt16BE(5000, 14)
    expect(await talk(port, [big])).toBe('')
    expect(errors.join()).toContain('exceeds 1024')
  })
  it('an untrusted source that sends a v2 header after the greeting gets 554 5.7.1 and is closed', async () => {
    const { port, seen, errors } = await start(5000, ['192.0.2.0/24'])
    const got = await talk(port, [Buffer.concat([v2Header(), Buffer.from('EHLO c.example\r\n')])])
    expect(got).toMatch(/^220 [^\r]*\r\n554 5\.7\.1 PROXY header not accepted from this address\r\n$/)
    expect(seen).toEqual([])
    expect(errors.join()).toContain('PROXY from untrusted 127.0.0.1 refused')
  })
  it.each([
    ["goes on writing after the server's FIN, as a pipelining client would", false],
    ['resets the connection once it read the 554', true],
  ])('an untrusted source refused for its header has no session left: one that %s', async (_name, reset) => {
    const calls: string[] = []
    const errors: string[] = []
    const transcript: string[] = []
    const log = (fields: Readonly<Record<string, unknown>>): void => {
      if (fields['event'] === 'transcript') transcript.push(`${String(fields['dir'])}: ${String(fields['line'])}`)
    }
    const server = createSmtpServer({
      proxy: { trusted: ['192.0.2.0/24'] },
      onError: (e) => errors.push(String(e)),
      logger: { error: log, warn: log, info: log, debug: log },
      transcript: true,
      hooks: {
        onHello: () => void calls.push('hello'),
        onMailFrom: () => void calls.push('mail'),
        onRcptTo: () => void calls.push('rcpt'),
        onClose: (_s, reason) => void calls.push(`close ${reason?.cause} ${reason?.reply ?? ''}`),
      },
    })
    servers.push(server)
    const { port } = await server.listen(0)
    // half-open, so that the client can still write once the server's FIN came
    const got = await new Promise<string>((resolve) => {
      const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => void c.write(v2Header()))
      let text = ''
      c.on('data', (d) => {
        text += d.toString('latin1')
        if (!text.includes('554 ')) return
        if (reset) return void c.resetAndDestroy()
        c.write('EHLO c.example\r\nMAIL FROM:<a@c.example>\r\n')
        setTimeout(() => c.end('RCPT TO:<b@c.example>\r\nDATA\r\n'), 100)
      })
      c.on('error', () => undefined)
      c.on('close', () => resolve(text))
    })
    expect(got).toMatch(/^220 [^\r]*\r\n554 5\.7\.1 PROXY header not accepted from this address\r\n$/)
    await expect.poll(() => calls.length).toBeGreaterThan(0)
    await new Promise((r) => setTimeout(r, 200)) // an error from the reset would come by now
    expect(calls).toEqual(['close server 554 5.7.1 PROXY header not accepted from this address'])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain('PROXY from untrusted 127.0.0.1 refused')
    expect(transcript.slice(1)).toEqual(['S: 554 5.7.1 PROXY header not accepted from this address'])
  })
  it.each([
    ['a version 1 header cut short', 'PROXY TCP4 1.2.3.4', true],
    ['a lone "P"', 'P', false],
  ])('an untrusted source that sends %s and half-closes', async (_name, sent, refused) => {
    const closes: string[] = []
    const errors: string[] = []
    const server = createSmtpServer({
      proxy: { trusted: ['192.0.2.0/24'] },
      onError: (e) => errors.push(String(e)),
      hooks: { onClose: (_s, reason) => void closes.push(`${reason?.cause} ${reason?.reply ?? ''}`) },
    })
    servers.push(server)
    const { port } = await server.listen(0)
    const got = await new Promise<string>((resolve) => {
      const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
      let text = ''
      c.on('data', (d) => {
        text += d.toString('latin1')
        if (text.startsWith('220 ') && text.endsWith('\r\n') && !c.writableEnded) c.end(sent)
      })
      c.on('error', () => undefined)
      c.on('close', () => resolve(text))
    })
    await expect.poll(() => closes.length).toBe(1)
    if (refused) {
      expect(got).toMatch(/^220 [^\r]*\r\n554 5\.7\.1 PROXY header not accepted from this address\r\n$/)
      expect(closes).toEqual(['server 554 5.7.1 PROXY header not accepted from this address'])
      expect(errors.join()).toContain('ended inside a PROXY header')
    } else {
      expect(got).toMatch(/^220 [^\r]*\r\n$/) // the session had "P" and the end: no reply is owed
      expect(closes).toEqual(['client '])
    }
  })
  it('an untrusted source that speaks SMTP gets an ordinary session, every byte kept (even a first "P")', async () => {
    const { port, seen } = await start(5000, ['192.0.2.0/24'])
    const got = await talk(port, [Buffer.from('P'), Buffer.from('ING\r\nEHLO c.example\r\nQUIT\r\n')])
    expect(got).toMatch(/^220 [^\r]*\r\n500 5\.5\.1 Command unrecognized\r\n250-localhost\r\n[\s\S]*221 /)
    expect(seen).toEqual(['127.0.0.1'])
  })
  it('refuses a trusted list entry that is not an address or CIDR block', () => {
    expect(() => createSmtpServer({ proxy: { trusted: ['10.0.0.0/33'] } })).toThrow(/not an IP address or CIDR block/)
    expect(() => createSmtpServer({ proxy: { trusted: ['mx.example'] } })).toThrow(/not an IP address/)
    // named by the option it is in, an OptionsError like any other bad option, and a lone string is no list
    const xclient = { trusted: '10.0.0.1' } as unknown as { trusted: string[] }
    expect(() => createSmtpServer({ xclient })).toThrow(OptionsError)
    expect(() => createSmtpServer({ xclient })).toThrow(
      /^xclient\.trusted: expected an array of IP addresses or CIDR blocks, given a string$/m,
    )
    expect(() => createSmtpServer({ xclient: { trusted: ['10.0.0.0/33'] } })).toThrow(/^xclient\.trusted: "10/m)
  })
})

describe('createSmtpServer proxy option with implicit TLS (RFC 8314 3.3)', () => {
  const certs = makeCerts()

  const startTls = async (trusted: string[]) => {
    const seen: Array<{ address: string; tls: boolean }> = []
    const errors: string[] = []
    const server = createSmtpServer({
      tls: { key: certs.key, cert: certs.cert },
      implicitTls: true,
      proxy: { trusted },
      onError: (e) => errors.push(String(e)),
      hooks: { onHello: (_h, s) => void seen.push({ address: s.remoteAddress, tls: s.tls }) },
    })
    servers.push(server)
    const { port } = await server.listen(0)
    return { port, seen, errors }
  }

  /** Optionally a header in clear, then TLS (the ClientHello in the same packet), then EHLO and QUIT. */
  const tlsSession = (port: number, header: Buffer | undefined): Promise<string> =>
    new Promise((resolve) => {
      const raw = net.connect(port, '127.0.0.1', () => {
        raw.cork()
        if (header) raw.write(header)
        const secure = tls.connect({ socket: raw, ca: certs.ca, servername: 'localhost' })
        process.nextTick(() => raw.uncork())
        let got = ''
        secure.on('data', (d) => {
          got += d.toString('latin1')
          if (got === d.toString('latin1')) secure.write('EHLO c.example\r\nQUIT\r\n')
        })
        secure.on('error', () => undefined)
        secure.on('close', () => resolve(got))
      })
      raw.on('error', () => undefined)
      setTimeout(() => raw.destroy(), 5000)
    })

  it('reads the header in clear before the handshake; the session is TLS with the client address', async () => {
    const { port, seen } = await startTls(['127.0.0.1'])
    const got = await tlsSession(port, Buffer.from('PROXY TCP4 203.0.113.5 127.0.0.1 5555 465\r\n'))
    expect(got).toMatch(/^220 [^\r]*\r\n250-localhost\r\n[\s\S]*221 /)
    expect(seen).toEqual([{ address: '203.0.113.5', tls: true }])
  })
  it('an untrusted source goes straight to TLS; with a header first it is dropped', async () => {
    const { port, seen, errors } = await startTls(['192.0.2.0/24'])
    expect(await tlsSession(port, undefined)).toMatch(/^220 /)
    expect(seen).toEqual([{ address: '127.0.0.1', tls: true }])
    expect(await tlsSession(port, Buffer.from('PROXY TCP4 203.0.113.5 127.0.0.1 5555 465\r\n'))).toBe('')
    expect(errors.join()).toContain('PROXY from untrusted 127.0.0.1: a PROXY header from an untrusted source')
  })
})
