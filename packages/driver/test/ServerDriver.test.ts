import { describe, expect, it } from 'vitest'
import { serverConfig, type ServerOptions } from '@smtpure/core'
import { type ServerHooks, SmtpError, runServerSession, startServerSession } from '../src/index.js'
import { MemoryTransport, testRuntime } from './MemoryTransport.js'

const start = (options: ServerOptions, hooks: ServerHooks = {}) => {
  const config = serverConfig({ hostname: 'mx.example.com', ...options })
  if (config._tag === 'Left') throw new Error(config.left.errors.join())
  const transport = new MemoryTransport()
  const runtime = testRuntime()
  const errors: unknown[] = []
  const done = runServerSession(transport, { config: config.right, hooks, runtime, onError: (e) => errors.push(e) })
  return { transport, runtime, done, errors }
}

const text = async (chunks: AsyncIterable<Uint8Array>): Promise<string> => {
  let s = ''
  for await (const c of chunks) s += Buffer.from(c).toString('latin1')
  return s
}

describe('runServerSession', () => {
  describe('a whole transaction over a Transport', () => {
    it('greets, asks the hooks, streams the message and replies with the verdict', async () => {
      const seen: string[] = []
      const { transport, done } = start(
        {},
        {
          onMailFrom: (from) => void seen.push(`from ${from?.localPart}`),
          onRcptTo: (to) => void seen.push(`to ${to.localPart}`),
          onMessage: async (m) => {
            seen.push(`body ${JSON.stringify(await text(m.chunks))}`)
            seen.push(m.received)
            return { code: 250, enhanced: '2.0.0', lines: ['Ok: queued as 12345'] }
          },
        },
      )
      await transport.until(/^220 mx\.example\.com ESMTP\r\n/)
      transport.send('EHLO c.example\r\nMAIL FROM:<bob@example.org>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n')
      await transport.until(/354 /)
      transport.send('Hello\r\n..dot\r\n.\r\n')
      await transport.until(/250 2\.0\.0 Ok: queued as 12345\r\n$/)
      transport.send('QUIT\r\n')
      await done
      expect(transport.text()).toMatch(/221 2\.0\.0 Bye\r\n$/)
      expect(transport.closed).toBe(true)
      expect(seen.slice(0, 3)).toEqual(['from bob', 'to alice', 'body "Hello\\r\\n.dot\\r\\n"'])
      expect(seen[3]).toMatch(/^Received: from c\.example \(\[192\.0\.2\.1\]\)\r?\n?\s*by mx\.example\.com/)
    })
  })

  describe('questions without a hook', () => {
    it('answers a pipelined greeting and envelope in one write when no hook asks about them (RFC 2920 3.2)', async () => {
      const { transport } = start({})
      await transport.until(/^220 /)
      const before = transport.written.length
      transport.send('EHLO c.example\r\nMAIL FROM:<bob@example.org>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n')
      await transport.until(/354 /)
      expect(transport.written.length - before).toBe(1)
      expect(transport.text()).toMatch(/250 2\.1\.0 Ok\r\n250 2\.1\.5 Ok\r\n354 /)
    })

    it('asks only the hooks there are, and answers the rest itself', async () => {
      const seen: string[] = []
      const { transport } = start({}, { onRcptTo: (to) => void seen.push(to.localPart) })
      await transport.until(/^220 /)
      transport.send('EHLO c.example\r\nMAIL FROM:<bob@example.org>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n')
      await transport.until(/354 /)
      expect(seen).toEqual(['alice'])
    })
  })

  describe('trace fields', () => {
    it('each message of a session gets its own Received id (RFC 5321 4.4)', async () => {
      const ids: string[] = []
      const { transport } = start(
        {},
        {
          onMessage: async (m) => {
            for await (const _ of m.chunks) void _
            ids.push(/\sid\s+(\S+)/.exec(m.received)![1]!.replace(/;$/, ''))
          },
        },
      )
      const tx = 'MAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\nhi\r\n.\r\n'
      transport.send(`EHLO c.example\r\n${tx}${tx}`)
      await transport.until(/(250 2\.0\.0 Ok\r\n[^]*){2}$/)
      expect(ids).toHaveLength(2)
      expect(ids[0]).not.toBe(ids[1])
      // an Atom holds no ".": the session id and the count go as a msg-id (RFC 5321 4.4, RFC 5322 3.6.4)
      for (const id of ids) expect(id).toMatch(/^<[A-Za-z0-9_-]+\.[12]@mx\.example\.com>$/)
    })

    it('the for clause names a Path: a lone <Postmaster>, which has no domain, gets none (RFC 5321 4.4)', async () => {
      const fields: string[] = []
      const { transport } = start(
        {},
        {
          onMessage: async (m) => {
            for await (const _ of m.chunks) void _
            fields.push(m.received)
          },
        },
      )
      const tx = (to: string) => `MAIL FROM:<a@b.example>\r\nRCPT TO:<${to}>\r\nDATA\r\nhi\r\n.\r\n`
      transport.send(`EHLO c.example\r\n${tx('Postmaster')}${tx('x@y.example')}`)
      await transport.until(/(250 2\.0\.0 Ok\r\n[^]*){2}$/)
      expect(fields[0]).not.toMatch(/\sfor\s/)
      expect(fields[1]).toMatch(/\sfor\s+<x@y\.example>;/)
    })

    it.each([
      ['DATA', 'DATA\r\nhi\r\n.\r\n', 'ESMTP'],
      ['BDAT', 'BDAT 4 LAST\r\nhi\r\n', 'ESMTP'],
      ['BDAT in chunks', 'BDAT 2\r\nhiBDAT 2 LAST\r\n\r\n', 'ESMTP'],
    ])('a message sent with %s names the greeting in Received (RFC 5321 4.4)', async (_, body, protocol) => {
      const fields: string[] = []
      const { transport } = start(
        {},
        {
          onMessage: async (m) => {
            for await (const _ of m.chunks) void _
            fields.push(m.received)
          },
        },
      )
      transport.send(`EHLO client.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\n${body}`)
      await transport.until(/250 2\.0\.0 Ok\r\n$/)
      expect(fields).toHaveLength(1)
      expect(fields[0]).toMatch(/^Received: from client\.example \(\[192\.0\.2\.1\]\)/)
      expect(fields[0]).toMatch(new RegExp(`with ${protocol}\\b`))
    })

    it('the session facts passed to onMessage are those of the message (greeting, TLS, AUTH)', async () => {
      const seen: Array<{ hello: string | undefined; authenticated: string | undefined }> = []
      const { transport } = start(
        { authMechanisms: ['PLAIN'], allowInsecureAuth: true },
        {
          onAuth: () => undefined,
          onMessage: async (m, info) => {
            for await (const _ of m.chunks) void _
            seen.push({ hello: info.hello?.domain, authenticated: info.authenticated })
          },
        },
      )
      transport.send(
        'EHLO client.example\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nBDAT 2 LAST\r\nhi',
      )
      await transport.until(/250 2\.0\.0 Ok\r\n$/)
      expect(seen).toEqual([{ hello: 'client.example', authenticated: 'alice' }])
    })
  })

  describe('hooks that refuse or fail', () => {
    it('a thrown SmtpError is the reply; another exception is 451 and the session goes on', async () => {
      const { transport, errors } = start(
        {},
        {
          onRcptTo: (to) => {
            if (to.localPart === 'nobody') throw new SmtpError(550, '5.1.1', 'No such user here')
            if (to.localPart === 'crash') throw new Error('database down')
          },
        },
      )
      transport.send(
        'EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<nobody@x.example>\r\nRCPT TO:<crash@x.example>\r\nRCPT TO:<ok@x.example>\r\n',
      )
      const out = await transport.until(/(250 2\.1\.5 Ok\r\n)$/)
      expect(out).toContain('550 5.1.1 No such user here\r\n451 4.3.0 Local error in processing\r\n250 2.1.5 Ok\r\n')
      expect(errors.map(String)).toContain('Error: database down')
    })
    it('a connection hook that refuses gets a 554 greeting (RFC 5321 3.1)', async () => {
      const { transport } = start(
        {},
        { onConnect: () => ({ code: 554, lines: ['mx.example.com No SMTP service here'] }) },
      )
      await transport.until(/^554 mx\.example\.com No SMTP service here\r\n/)
    })
    it.each([
      ['returns', () => ({ code: 421, lines: ['mx.example.com Too busy, try again later'] })],
      [
        'throws',
        () => {
          throw new SmtpError(450, '4.7.1', 'mx.example.com Too busy, try again later')
        },
      ],
    ])(
      'a connection hook that %s a 4yz refuses for now: 421 with its text, then close (RFC 5321 3.8)',
      async (_, hook) => {
        // a 554 greeting would tell the client that this host will never take its mail
        const { transport, done } = start({}, { onConnect: hook })
        await done
        expect(transport.text()).toBe('421 mx.example.com Too busy, try again later\r\n')
        expect(transport.closed).toBe(true)
      },
    )
    it('an onConnect hook that throws admits no one: 421, then close, and the error is reported', async () => {
      const { transport, done, errors } = start(
        {},
        {
          onConnect: () => {
            throw new Error('blocklist unreachable')
          },
        },
      )
      await done
      expect(transport.text()).toBe('421 mx.example.com Service not available\r\n')
      expect(transport.closed).toBe(true)
      expect(errors.map(String)).toEqual(['Error: blocklist unreachable'])
    })
    it('an AUTH hook that throws gives 454 (RFC 4954 6)', async () => {
      const { transport } = start(
        { authMechanisms: ['PLAIN'], allowInsecureAuth: true },
        {
          onAuth: () => {
            throw new Error('directory unreachable')
          },
        },
      )
      transport.send(`EHLO c.example\r\nAUTH PLAIN ${Buffer.from('\0u\0p').toString('base64')}\r\n`)
      await transport.until(/454 4\.7\.0 Temporary authentication failure\r\n$/)
    })
    it('without an AUTH hook every attempt fails with 535', async () => {
      const { transport } = start({ authMechanisms: ['PLAIN'], allowInsecureAuth: true, authFailureDelayMs: 0 })
      transport.send(`EHLO c.example\r\nAUTH PLAIN ${Buffer.from('\0u\0p').toString('base64')}\r\n`)
      await transport.until(/535 5\.7\.8 /)
    })
    it('an onConnect hook that never answers: 421 at the hook deadline, then close', async () => {
      const { transport, runtime, done } = start({}, { onConnect: () => new Promise(() => undefined) })
      await new Promise((r) => setTimeout(r, 20))
      expect(transport.text()).toBe('')
      runtime.fire()
      await done
      expect(transport.text()).toBe('421 mx.example.com Service not available\r\n')
      expect(transport.closed).toBe(true)
    })
    it('a failed AUTH is answered when the runtime fires the authDelay timer, not before', async () => {
      const { transport, runtime } = start({ authMechanisms: ['PLAIN'], allowInsecureAuth: true })
      transport.send(`EHLO c.example\r\nAUTH PLAIN ${Buffer.from('\0u\0p').toString('base64')}\r\nNOOP\r\n`)
      await transport.until(/250 AUTH PLAIN\r\n/)
      await new Promise((r) => setTimeout(r, 20))
      expect(transport.text()).not.toMatch(/535/)
      runtime.fire()
      await transport.until(/535 5\.7\.8 .*\r\n250 2\.0\.0 Ok\r\n$/s)
    })
    it('a message hook that throws gives 451 and nothing is accepted', async () => {
      const { transport } = start(
        {},
        {
          onMessage: async () => {
            throw new Error('disk full')
          },
        },
      )
      transport.send('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\nhi\r\n.\r\n')
      await transport.until(/451 4\.3\.0 Local error in processing\r\n$/)
    })
  })

  describe('backpressure', () => {
    it('pauses reading while the message hook is slower than the input, and resumes after', async () => {
      let release: () => void = () => undefined
      const gate = new Promise<void>((r) => (release = r))
      let size = 0
      const { transport } = start(
        { maxMessageSize: 0 },
        {
          onMessage: async (m) => {
            await gate
            for await (const c of m.chunks) size += c.length
          },
        },
      )
      transport.send('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n')
      await transport.until(/354 /)
      const line = `${'x'.repeat(62)}\r\n`
      const block = line.repeat(1024) // 64 KiB
      for (let i = 0; i < 20; i++) transport.send(block)
      expect(transport.paused).toBe(true)
      release()
      await new Promise((r) => setTimeout(r, 20))
      expect(transport.paused).toBe(false)
      transport.send('.\r\n')
      await transport.until(/250 2\.0\.0 Ok\r\n$/)
      expect(size).toBe(20 * block.length)
    })
  })

  describe('STARTTLS and timers', () => {
    it('upgrades the transport after the 220, then the session starts over (RFC 3207 4.2)', async () => {
      const { transport } = start({ startTls: true })
      transport.send('EHLO c.example\r\nSTARTTLS\r\nMAIL FROM:<evil@x.example>\r\n')
      await transport.until(/220 2\.0\.0 Ready to start TLS\r\n$/)
      await new Promise((r) => setTimeout(r, 10))
      expect(transport.tlsStarted).toBe(1)
      transport.send('EHLO c.example\r\n')
      const out = await transport.until(/250 [A-Z0-9]+\r\n$/)
      expect(out.split('STARTTLS').length).toBe(2) // advertised before TLS only
      expect(out).not.toContain('2.1.0') // the MAIL pipelined behind STARTTLS never ran
    })
    it('bytes decrypted before the handshake promise settles are kept for the TLS session (RFC 3207 4.2)', async () => {
      const { transport } = start({ startTls: true })
      // as Node's TLS layer does under Deno: the client's first TLS bytes come before startTls resolves
      transport.startTls = () => {
        transport.tlsStarted++
        transport.send('EHLO c.example\r\n')
        transport.tls = { protocol: 'TLSv1.3' }
        return Promise.resolve(transport.tls)
      }
      transport.send('EHLO c.example\r\nSTARTTLS\r\n')
      const out = await transport.until(/220 2\.0\.0 [^\r\n]*\r\n250-mx\.example\.com[\s\S]*\r\n250 [A-Z0-9]+\r\n$/)
      expect(out.split('STARTTLS').length).toBe(2) // the second EHLO was answered in TLS
    })
    describe('between the 220 to STARTTLS and the end of the handshake nothing is written (RFC 3207 4)', () => {
      /** A session whose handshake hangs (or fails, with `fail`) once the 220 to STARTTLS is out. */
      const upgrading = async (fail?: Error) => {
        const closes: unknown[] = []
        const config = serverConfig({ hostname: 'mx.example.com', startTls: true })
        if (config._tag === 'Left') throw new Error(config.left.errors.join())
        const transport = new MemoryTransport()
        const runtime = testRuntime()
        transport.startTls = () => {
          transport.tlsStarted++
          return fail === undefined ? new Promise(() => undefined) : Promise.reject(fail)
        }
        const hooks: ServerHooks = { onClose: (_session, reason) => void closes.push(reason) }
        const session = startServerSession(transport, {
          config: config.right,
          hooks,
          runtime,
          onError: () => undefined,
        })
        transport.send('EHLO c.example\r\nSTARTTLS\r\n')
        await transport.until(/220 2\.0\.0 Ready to start TLS\r\n$/)
        await new Promise((r) => setTimeout(r, 10))
        expect(transport.tlsStarted).toBe(1)
        return { transport, runtime, session, closes, sent: transport.text() }
      }
      it('the idle deadline closes the connection, and onClose hears the handshake did not finish', async () => {
        const { transport, runtime, session, closes, sent } = await upgrading()
        transport.send('QUIT\r\n') // bytes in clear after the 220 are no command
        runtime.fire()
        await session.done
        expect(transport.text()).toBe(sent)
        expect(transport.closed).toBe(true)
        expect(closes).toEqual([{ cause: 'tls' }])
      })
      it('stop(true) closes the connection', async () => {
        const { transport, session, closes, sent } = await upgrading()
        session.stop()
        session.stop(true)
        await session.done
        expect(transport.text()).toBe(sent)
        expect(closes).toEqual([{ cause: 'tls' }])
      })
      it('a failed handshake closes the connection', async () => {
        const { transport, session, closes, sent } = await upgrading(new Error('wrong version number'))
        await session.done
        expect(transport.text()).toBe(sent)
        expect(closes).toEqual([{ cause: 'tls' }])
      })
    })
    it('keeps one timer at a time, and none once the session ended (a timer would hold it)', async () => {
      // minDataRate runs the data window during the message; onMessage gets the hook deadline
      const { transport, runtime, done } = start(
        { minDataRate: 1000 },
        { onMessage: async (m) => void (await text(m.chunks)) },
      )
      await transport.until(/^220 /)
      expect(runtime.armed()).toBe(1) // the idle deadline
      // one at a time, however many commands and messages: none is left behind
      for (let i = 0; i < 3; i++) {
        transport.send('EHLO c.example\r\nMAIL FROM:<bob@example.org>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n')
        await transport.until(new RegExp(`(354 [^\\r\\n]*\\r\\n[\\s\\S]*){${i + 1}}$`))
        expect(runtime.armed()).toBe(1) // the data window runs in the idle deadline's place
        transport.send('Subject: x\r\n\r\nhi\r\n')
        expect(runtime.armed()).toBe(1)
        transport.send('.\r\n')
        await transport.until(new RegExp(`(250 2\\.0\\.0 [^\\r\\n]*\\r\\n[\\s\\S]*){${i + 1}}$`))
        expect(runtime.armed()).toBe(1)
      }
      // the client goes away in the middle of a message, with the message's hook still reading
      transport.send('MAIL FROM:<bob@example.org>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n')
      await transport.until(/(354 [^\r\n]*\r\n[\s\S]*){4}$/)
      transport.send('Subject: x\r\n\r\nhalf')
      transport.events!.closed()
      await done
      expect(runtime.armed()).toBe(0)
    })
    it('a fired idle timer closes with 421 (RFC 5321 4.5.3.2.7)', async () => {
      const { transport, runtime, done } = start({})
      await transport.until(/^220 /)
      runtime.fire()
      await done
      expect(transport.text()).toMatch(/421 4\.4\.2 Timeout, closing transmission channel\r\n$/) // before EHLO too (RFC 2034 4)
    })
  })

  describe('graceful stop (RFC 5321 3.8)', () => {
    const open = (options: ServerOptions = {}, hooks: ServerHooks = {}) => {
      const config = serverConfig({ hostname: 'mx.example.com', ...options })
      if (config._tag === 'Left') throw new Error(config.left.errors.join())
      const transport = new MemoryTransport()
      const session = startServerSession(transport, { config: config.right, hooks, runtime: testRuntime() })
      return { transport, session }
    }
    it('an idle session gets 421 at once', async () => {
      const { transport, session } = open()
      transport.send('EHLO c.example\r\n')
      await transport.until(/250 /)
      session.stop()
      await session.done
      expect(transport.text()).toMatch(/421 4\.3\.2 Service shutting down/)
    })
    it('a message in progress is finished first, then 421', async () => {
      const { transport, session } = open()
      transport.send('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\npart')
      await transport.until(/354 /)
      session.stop()
      expect(transport.closed).toBe(false)
      transport.send('ial\r\n.\r\n')
      await session.done
      expect(transport.text()).toMatch(
        /250 2\.0\.0 Ok\r\n421 4\.3\.2 Service shutting down, closing transmission channel\r\n$/,
      )
    })
    it('a transaction that ends with no reply, an LMTP BDAT LAST after no successful RCPT: 421 at once (RFC 2033 4.3)', async () => {
      const { transport, session } = open(
        { lmtp: true },
        {
          onRcptTo: () => {
            throw new SmtpError(550, '5.1.1', 'No such user here')
          },
        },
      )
      transport.send('LHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\n')
      await transport.until(/550 5\.1\.1 No such user here\r\n$/)
      session.stop()
      expect(transport.closed).toBe(false)
      transport.send('BDAT 5 LAST\r\nhe')
      expect(transport.closed).toBe(false)
      // the client sends nothing more: it owes no command and waits for no reply
      transport.send('llo')
      await transport.until(/421 4\.3\.2 [^\r\n]*\r\n$/)
      await session.done
      expect(transport.text()).toMatch(
        /550 5\.1\.1 No such user here\r\n421 4\.3\.2 Service shutting down, closing transmission channel\r\n$/,
      )
      expect(transport.closed).toBe(true)
    })
    it('stop(true) does not wait', async () => {
      const { transport, session } = open()
      transport.send('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\npart')
      await transport.until(/354 /)
      session.stop(true)
      await session.done
      expect(transport.text()).toMatch(/421 4\.3\.2 /)
    })
  })

  describe('questions no hook answers', () => {
    it('EHLO, MAIL and RCPT without hooks are answered in the turn their line came in, in order', async () => {
      const { transport } = start({}, { onMessage: async () => undefined })
      await transport.until(/^220 /)
      transport.send('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nRCPT TO:<z@y.example>\r\n')
      // no await: no promise stands between a line and its reply
      expect(transport.text()).toMatch(/250 BINARYMIME\r\n250 2\.1\.0 Ok\r\n250 2\.1\.5 Ok\r\n250 2\.1\.5 Ok\r\n$/)
    })

    it('a hook for one of them is still asked, and the others wait for its answer', async () => {
      const seen: string[] = []
      const { transport } = start({}, { onRcptTo: async (to) => void seen.push(to.localPart) })
      await transport.until(/^220 /)
      transport.send('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nNOOP\r\n')
      expect(transport.text()).toMatch(/250 2\.1\.0 Ok\r\n$/)
      await transport.until(/250 2\.1\.5 Ok\r\n250 2\.0\.0 Ok\r\n$/)
      expect(seen).toEqual(['x'])
    })
  })

  describe('robustness', () => {
    it('a peer that does not read: reading pauses while a write is blocked', async () => {
      const { transport } = start({})
      await transport.until(/^220 /)
      transport.blocked = new Promise<void>(() => undefined)
      transport.send('NOOP\r\n')
      expect(transport.paused).toBe(true)
    })
    it('a hook that never answers gets 451 in its place when the hook timeout fires', async () => {
      const { transport, runtime } = start({}, { onMailFrom: () => new Promise<void>(() => undefined) })
      transport.send('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n')
      await transport.until(/250 [A-Z0-9]+\r\n$/)
      await new Promise((r) => setTimeout(r, 10))
      runtime.fire()
      await transport.until(/451 4\.3\.0 Local error in processing\r\n$/)
    })
    it('a hook answer the session cannot take becomes 451, never a silent stall', async () => {
      const { transport, errors } = start(
        {},
        { onRcptTo: () => ({ code: 550, enhanced: '4.1.1', lines: ['wrong class'] }) },
      )
      transport.send('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\n')
      await transport.until(/451 4\.3\.0 Local error in processing\r\n$/)
      expect(errors.map(String).join()).toMatch(/hook answer refused: invalid reply/)
    })
    it('an AUTH success other than 235 becomes 454: clients take nothing else as success (RFC 4954 4)', async () => {
      const { transport, errors } = start(
        { authMechanisms: ['PLAIN'], allowInsecureAuth: true },
        { onAuth: () => ({ user: 'u', reply: { code: 250, lines: ['fine'] } }) },
      )
      transport.send(`EHLO c.example\r\nAUTH PLAIN ${Buffer.from('\0u\0p').toString('base64')}\r\n`)
      await transport.until(/454 4\.7\.0 Temporary authentication failure\r\n$/)
      expect(errors.map(String).join()).toMatch(/hook answer refused: Accept to AUTH needs a 235 reply/)
    })
    it('LMTP verdicts of the wrong number become 451 for every recipient', async () => {
      const { transport } = start(
        { lmtp: true },
        {
          onMessage: async (m) => {
            for await (const _ of m.chunks) void _
            return [undefined]
          },
        },
      )
      transport.send(
        'LHLO c.example\r\nMAIL FROM:<>\r\nRCPT TO:<a@x.example>\r\nRCPT TO:<b@x.example>\r\nDATA\r\nhi\r\n.\r\n',
      )
      await transport.until(/(451 4\.3\.0 Local error in processing\r\n){2}$/)
    })
    it('a message hook that answers without reading does not leave reading paused', async () => {
      const { transport } = start(
        { maxMessageSize: 0 },
        { onMessage: async () => ({ code: 550, enhanced: '5.7.1', lines: ['not wanted'] }) },
      )
      transport.send('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n')
      await transport.until(/354 /)
      const block = `${'x'.repeat(62)}\r\n`.repeat(1024)
      for (let i = 0; i < 24; i++) transport.send(block)
      await new Promise((r) => setTimeout(r, 20))
      expect(transport.paused).toBe(false)
      transport.send('.\r\n')
      await transport.until(/550 5\.7\.1 not wanted\r\n$/)
    })
    it('input that ends while the message verdict is pending still gets its replies', async () => {
      let release: () => void = () => undefined
      const gate = new Promise<void>((r) => (release = r))
      const { transport, done } = start(
        {},
        {
          onMessage: async (m) => {
            for await (const _ of m.chunks) void _
            await gate
          },
        },
      )
      transport.send(
        'EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n',
      )
      transport.events!.ended!()
      release()
      await done
      expect(transport.text()).toMatch(/250 2\.0\.0 Ok\r\n221 2\.0\.0 Bye\r\n$/)
    })
    it('stop() while the connection hook runs takes effect when the greeting is out', async () => {
      const config = serverConfig({ hostname: 'mx.example.com' })
      if (config._tag === 'Left') throw new Error('config')
      const transport = new MemoryTransport()
      let go: () => void = () => undefined
      const session = startServerSession(transport, {
        config: config.right,
        hooks: { onConnect: () => new Promise<void>((r) => (go = r)) },
        runtime: testRuntime(),
      })
      session.stop()
      await new Promise((r) => setTimeout(r, 5)) // the hook is running now
      go()
      await session.done
      expect(transport.text()).toBe(
        '220 mx.example.com ESMTP\r\n421 4.3.2 Service shutting down, closing transmission channel\r\n',
      )
    })
  })
})
