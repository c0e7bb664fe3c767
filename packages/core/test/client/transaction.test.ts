// Tests for a client transaction: the envelope checks made before anything is written (RFC 5321 4.1.2,
// RFC 1870, RFC 6152, RFC 3030, RFC 6531 3.2, RFC 3461, RFC 8689), the body (RFC 5321 4.5.2, 2.3.8), the
// results (4.2.1, 6.1; RFC 2033 4.2) and the timers (4.5.3.2).
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { type ClientEnvelope, ClientInput } from '../../src/client/index.js'
import { dotScanStart, scanData } from '../../src/wire/dotScan.js'
import { encode, latin1 } from '../../src/wire/bytes.js'
import { ClientHarness, bytesOf, greet, manual, resultsOf } from './harness.js'

const helo = 'client.example.org'
const env = (over: Partial<ClientEnvelope> = {}): ClientEnvelope => ({
  from: 'bob@example.org',
  to: ['alice@example.com'],
  ...over,
})

/** Greet with these extensions, submit, and return what the client wrote for the envelope. */
const envelopeLine = (extensions: string[], e: ClientEnvelope, options = {}) => {
  const h = greet(manual({ helo, ...options }), extensions)
  h.read()
  h.input(ClientInput.submitted(e))
  return { h, sent: h.read(), result: h.of('MessageResult')[0] }
}

describe('client transaction', () => {
  describe('envelope checks before anything is written', () => {
    it.each([
      ['CRLF in the sender (command injection)', env({ from: 'a@b.example>\r\nRCPT TO:<x@y.example' })],
      ['a parameter smuggled in the recipient', env({ to: ['x@y.example> NOTIFY=NEVER'] })],
      ['a parameter smuggled in the sender', env({ from: 'a@b.example> SIZE=1' })],
      ['NUL in an address', env({ to: ['x\0@y.example'] })],
      ['LF in a recipient', env({ to: ['x@y.example\nDATA'] })],
      ['no recipients (RFC 5321 3.3)', env({ to: [] })],
      ['a recipient without a domain', env({ to: ['alice'] })],
      ['an empty recipient', env({ to: [''] })],
      ['a source route', env({ to: ['@relay.example:x@y.example'] })],
      ['a local part over 64 octets (RFC 5321 4.5.3.1.1)', env({ to: [`${'a'.repeat(65)}@y.example`] })],
      ['a negative size', env({ params: { size: -1 } })],
      ['an ENVID that is not printable ASCII', env({ params: { envid: 'a\nb' } })],
    ])('refuses %s with InvalidEnvelope and stays Ready', (_name, e) => {
      const { h, sent, result } = envelopeLine(['PIPELINING', 'DSN', 'SIZE 100'], e)
      expect(sent).toBe('')
      expect(result).toMatchObject({ status: 'permanent', error: { _tag: 'InvalidEnvelope' } })
      expect(h.outputs.at(-1)).toMatchObject({ _tag: 'Ready' })
      h.input(ClientInput.submitted(env()))
      expect(h.read()).toMatch(/^MAIL FROM:<bob@example.org>/)
    })
    it.each([
      ['a UTF-8 sender without SMTPUTF8 (RFC 6531 3.2)', [], env({ from: 'jörg@example.org' }), 'SMTPUTF8'],
      ['a UTF-8 recipient without SMTPUTF8', [], env({ to: ['ñ@例え.jp'] }), 'SMTPUTF8'],
      ['BODY=8BITMIME without 8BITMIME (RFC 6152 3)', [], env({ params: { body: '8BITMIME' } }), '8BITMIME'],
      [
        'BINARYMIME without CHUNKING (RFC 3030 3)',
        ['BINARYMIME'],
        env({ params: { body: 'BINARYMIME' } }),
        'BINARYMIME',
      ],
      ['a size over the SIZE limit (RFC 1870 6.1)', ['SIZE 1000'], env({ params: { size: 1001 } }), 'SIZE'],
      ['RET without DSN (RFC 3461 4)', [], env({ params: { ret: 'HDRS' } }), 'DSN'],
      ['NOTIFY without DSN', [], env({ to: [{ address: 'a@b.example', params: { notify: 'NEVER' } }] }), 'DSN'],
      ['REQUIRETLS without TLS (RFC 8689 2)', ['REQUIRETLS'], env({ params: { requireTls: true } }), 'REQUIRETLS'],
    ])('refuses %s as Unsupported', (_name, extensions, e, extension) => {
      const { sent, result } = envelopeLine(extensions, e)
      expect(sent).toBe('')
      expect(result).toMatchObject({ status: 'permanent', error: { _tag: 'Unsupported', extension } })
    })
    it('refuses BINARYMIME when the configuration turns BINARYMIME or CHUNKING off', () => {
      const e = env({ params: { body: 'BINARYMIME' } })
      for (const off of [{ binaryMime: false }, { chunking: false }])
        expect(envelopeLine(['CHUNKING', 'BINARYMIME'], e, off).result).toMatchObject({
          error: { _tag: 'Unsupported' },
        })
    })
    it.each([
      ['SIZE= when offered and declared (RFC 1870 6)', ['SIZE 1000'], env({ params: { size: 1000 } }), ' SIZE=1000'],
      ['no SIZE= when the server does not offer SIZE', [], env({ params: { size: 1000 } }), ''],
      ['any size when SIZE states no limit', ['SIZE'], env({ params: { size: 10 ** 9 } }), ' SIZE=1000000000'],
      ['SMTPUTF8 added for a UTF-8 address (RFC 6531 3.4)', ['SMTPUTF8'], env({ to: ['ñ@例え.jp'] }), ' SMTPUTF8'],
      ['BODY=8BITMIME (RFC 6152 2)', ['8BITMIME'], env({ params: { body: '8BITMIME' } }), ' BODY=8BITMIME'],
      ['BODY=7BIT only to a server that knows BODY', ['8BITMIME'], env({ params: { body: '7BIT' } }), ' BODY=7BIT'],
      ['no BODY=7BIT to a server that does not', [], env({ params: { body: '7BIT' } }), ''],
      [
        'RET and ENVID as xtext (RFC 3461 4.3, 4.4)',
        ['DSN'],
        env({ params: { ret: 'HDRS', envid: 'id+1=x' } }),
        ' RET=HDRS ENVID=id+2B1+3Dx',
      ],
      ['REQUIRETLS over TLS (RFC 8689 2)', ['REQUIRETLS'], env({ params: { requireTls: true } }), ' REQUIRETLS'],
    ])('sends %s', (_name, extensions, e, params) => {
      const { sent } = envelopeLine(extensions, e, { implicitTls: true })
      expect(sent.split('\r\n')[0]).toBe(`MAIL FROM:<${e.from ?? ''}>${params}`)
    })
    it('sends the null reverse-path as <> (RFC 5321 4.5.5) and DSN recipient parameters', () => {
      const to = [
        {
          address: 'a@b.example',
          params: { notify: ['SUCCESS', 'FAILURE'] as const, orcpt: { addrType: 'rfc822', address: 'a+1@b.example' } },
        },
      ]
      const { sent } = envelopeLine(['DSN'], env({ from: null, to }))
      expect(sent).toBe('MAIL FROM:<>\r\n')
      const h = greet(manual({ helo }), ['DSN', 'PIPELINING'])
      h.read()
      h.input(ClientInput.submitted(env({ from: null, to })))
      expect(h.read()).toBe(
        'MAIL FROM:<>\r\nRCPT TO:<a@b.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2B1@b.example\r\nDATA\r\n',
      )
    })
    describe('relayDsn (RFC 3461 5.2.2)', () => {
      const to = [
        {
          address: 'a@b.example',
          params: { notify: ['SUCCESS'] as const, orcpt: { addrType: 'rfc822', address: 'a@b.example' } },
        },
        'c@d.example',
      ]
      const dsnEnvelope = env({ to, params: { ret: 'HDRS', envid: 'q1', size: 10 } })
      const run = (extensions: string[]) => {
        const h = greet(manual({ helo, relayDsn: true }), ['PIPELINING', 'SIZE', ...extensions])
        h.read()
        h.input(ClientInput.submitted(dsnEnvelope, 'm1'))
        const sent = h.read()
        h.feed('250 Ok\r\n250 Ok\r\n250 Ok\r\n354 Go\r\n')
        h.input(ClientInput.bodyEnd)
        h.feed('250 Ok\r\n')
        return { sent, result: h.of('MessageResult')[0] }
      }
      it('to a server without DSN: no ENVID, RET, NOTIFY or ORCPT go, the rest do, and the result says so', () => {
        const { sent, result } = run([])
        expect(sent).toBe(
          'MAIL FROM:<bob@example.org> SIZE=10\r\nRCPT TO:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n',
        )
        expect(result).toMatchObject({ status: 'accepted', dsnOmitted: true })
      })
      it('to a server with DSN: every parameter goes, and nothing was omitted', () => {
        const { sent, result } = run(['DSN'])
        expect(sent).toBe(
          'MAIL FROM:<bob@example.org> SIZE=10 RET=HDRS ENVID=q1\r\n' +
            'RCPT TO:<a@b.example> NOTIFY=SUCCESS ORCPT=rfc822;a@b.example\r\nRCPT TO:<c@d.example>\r\nDATA\r\n',
        )
        expect(result).toMatchObject({ status: 'accepted' })
        expect(result).not.toHaveProperty('dsnOmitted')
      })
      it.each([
        [
          'a NOTIFY of NEVER with more',
          env({ to: [{ address: 'a@b.example', params: { notify: ['NEVER', 'SUCCESS'] as unknown as 'NEVER' } }] }),
        ],
        ['an ENVID over 100 characters', env({ params: { envid: 'x'.repeat(150) } })],
      ])('still refuses %s it would leave out, as it would to a server with DSN', (_n, e) => {
        const h = greet(manual({ helo, relayDsn: true }), ['PIPELINING'])
        h.read()
        h.input(ClientInput.submitted(e))
        expect(h.read()).toBe('')
        expect(h.of('MessageResult')).toMatchObject([{ status: 'permanent', error: { _tag: 'InvalidEnvelope' } }])
      })
      it('off (the default), the same message to a server without DSN is refused before anything is written', () => {
        const { sent, result } = envelopeLine(['PIPELINING'], dsnEnvelope)
        expect(sent).toBe('')
        expect(result).toMatchObject({ status: 'permanent', error: { _tag: 'Unsupported', extension: 'DSN' } })
      })
    })
    it('writes UTF-8 addresses as UTF-8 octets', () => {
      const h = greet(manual({ helo }), ['SMTPUTF8', 'PIPELINING'])
      h.read()
      h.input(ClientInput.submitted(env({ from: 'jörg@example.org' })))
      expect(h.read()).toBe(
        latin1(encode('MAIL FROM:<jörg@example.org> SMTPUTF8\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n')),
      )
    })
  })

  describe('body after DATA (RFC 5321 4.5.2, 2.3.8)', () => {
    /** The bytes the client writes after 354 for a body given in these chunks. */
    const dataFor = (chunks: ReadonlyArray<string | Uint8Array>, extensions: string[] = ['8BITMIME']) => {
      const envelope = env({ params: { body: '8BITMIME' } })
      const h = greet(new ClientHarness({ helo }, [{ envelope, body: chunks }]), extensions)
      h.feed('250 Ok\r\n250 Ok\r\n')
      h.read()
      h.feed('354 Go ahead\r\n')
      return h.read()
    }
    it.each([
      ['an empty body', [], '.\r\n'],
      ['an empty chunk', [''], '.\r\n'],
      ['a body without a final CRLF', ['no end'], 'no end\r\n.\r\n'],
      ['a line that is just "."', ['a\r\n.\r\nb\r\n'], 'a\r\n..\r\nb\r\n.\r\n'],
      ['lines starting with "."', ['.a\r\n..b\r\n'], '..a\r\n...b\r\n.\r\n'],
      ['a dot at the start of a later chunk', ['a\r\n', '.b'], 'a\r\n..b\r\n.\r\n'],
      ['bare LF and bare CR', ['a\nb\rc\r\n'], 'a\r\nb\r\nc\r\n.\r\n'],
      ['a CRLF cut between chunks', ['a\r', '\n.'], 'a\r\n..\r\n.\r\n'],
      ['a smuggled end of data', ['a\n.\nb\r\n.\r\n'], 'a\r\n..\r\nb\r\n..\r\n.\r\n'],
      ['8-bit text to an 8BITMIME server', ['caf\u00e9\r\n'], 'caf\u00e9\r\n.\r\n'],
    ])('sends %s intact', (_name, chunks, wire) => {
      expect(dataFor(chunks)).toBe(wire)
    })
    test.prop([
      fc.array(
        fc.uint8Array({ maxLength: 60 }).map((b) => b.map((x) => [10, 13, 46, 97, 233][x % 5]!)),
        { maxLength: 6 },
      ),
    ])('what goes on the wire unstuffs to the body with CRLF line ends (RFC 5321 4.5.2)', (chunks) => {
      const wire = bytesOf(dataFor(chunks))
      const r = scanData(dotScanStart, wire, 0, { rejectBareLineEndings: true, maxLineLength: 0 })
      expect(r.end).toBe(wire.length)
      expect(r.scan.fault).toBeUndefined()
      const body = chunks.map((c) => latin1(c)).join('')
      const normal = body.replace(/\r\n|\r|\n/g, '\r\n')
      expect(r.pieces.map((p) => latin1(p)).join('')).toBe(
        normal === '' || normal.endsWith('\r\n') ? normal : `${normal}\r\n`,
      )
    })
    it.each([
      ['the server lacks 8BITMIME', [], env()],
      ['the server offers 8BITMIME but the message was not declared so', ['8BITMIME'], env()],
      ['the message was declared 7BIT', ['8BITMIME'], env({ params: { body: '7BIT' } })],
    ])(
      'closes the session when a 7-bit body has 8-bit octets (%s), sending none of them',
      (_, extensions, envelope) => {
        const h = greet(new ClientHarness({ helo }, [{ envelope, body: ['ok\r\n', 'caf\u00e9'] }]), extensions)
        h.feed('250 Ok\r\n250 Ok\r\n')
        h.read()
        h.feed('354 Go ahead\r\n')
        expect(h.read()).toBe('ok\r\n')
        expect(h.closed).toBe(true)
        // the message fails for its body; the session ends as lost, so that what is queued behind is not refused so
        expect(h.of('MessageResult')).toMatchObject([{ error: { _tag: 'Unsupported', extension: '8BITMIME' } }])
        expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'ConnectionLost' } }])
        expect(resultsOf(h)).toEqual([
          { status: 'permanent', code: undefined, recipients: ['alice@example.com permanent -'] },
        ])
      },
    )
  })

  describe('body in BDAT chunks (RFC 3030 2)', () => {
    it('takes a 7-bit body with 8-bit octets back with RSET, and the session goes on', () => {
      const h = greet(new ClientHarness({ helo }, [{ envelope: env(), body: ['caf\u00e9'] }]), ['CHUNKING'])
      h.feed('250 Ok\r\n')
      h.feed('250 Ok\r\n')
      expect(h.read()).toMatch(/RCPT TO:<alice@example.com>\r\nRSET\r\n$/)
      h.feed('250 Ok\r\n')
      expect(h.read()).toBe('QUIT\r\n')
      expect(h.of('MessageResult')).toMatchObject([{ status: 'permanent', error: { _tag: 'Unsupported' } }])
    })
    it('stops after a refused chunk, skips the replies to chunks in flight, then RSET (RFC 3030 2)', () => {
      const body = ['aaaa', 'bbbb', 'cccc']
      const h = greet(new ClientHarness({ helo }, [{ envelope: env(), body }]), ['PIPELINING', 'CHUNKING'])
      h.feed('250 Ok\r\n250 Ok\r\n')
      expect(h.read()).toMatch(/BDAT 4\r\naaaaBDAT 4\r\nbbbbBDAT 4\r\nccccBDAT 2 LAST\r\n\r\n$/)
      h.feed('552 5.3.4 Too big\r\n')
      expect(h.read()).toBe('RSET\r\n')
      expect(resultsOf(h)).toEqual([
        { status: 'permanent', code: 552, recipients: ['alice@example.com permanent 552'] },
      ])
      h.feed('503 5.5.1 Send RSET\r\n503 5.5.1 Send RSET\r\n503 5.5.1 Send RSET\r\n')
      expect(h.read()).toBe('')
      h.feed('250 Ok\r\n')
      expect(h.read()).toBe('QUIT\r\n')
    })
    it('in LMTP a BDAT LAST in flight after a refused chunk has one reply per accepted recipient (RFC 2033 4.3)', () => {
      const to = ['alice@example.com', 'gone@example.com', 'bob@example.com']
      const h = greet(new ClientHarness({ helo, lmtp: true }, [{ envelope: env({ to }), body: ['aaaa', 'bbbb'] }]), [
        'PIPELINING',
        'CHUNKING',
      ])
      h.feed('250 Ok\r\n250 Ok\r\n550 No such user\r\n250 Ok\r\n')
      expect(h.read()).toMatch(/BDAT 4\r\naaaaBDAT 4\r\nbbbbBDAT 2 LAST\r\n\r\n$/)
      h.feed('552 5.3.4 Too big\r\n')
      expect(h.read()).toBe('RSET\r\n')
      // the second chunk's 503, then one per accepted recipient for BDAT LAST: none of them is the RSET's reply
      h.feed('503 5.5.1 Transaction failed; send RSET\r\n'.repeat(3))
      expect(h.read()).toBe('')
      expect(h.of('Failed')).toEqual([])
      h.feed('250 2.0.0 Ok\r\n')
      expect(h.read()).toBe('QUIT\r\n')
      expect(resultsOf(h)[0]!.recipients).toEqual([
        'alice@example.com permanent 552',
        'gone@example.com permanent 550',
        'bob@example.com permanent 552',
      ])
    })
    it.each([
      ['SMTP', false, '552 5.3.4 Too big\r\n', ['alice@example.com permanent 552', 'bob@example.com permanent 552']],
      [
        'LMTP, one recipient of two refused',
        true,
        '250 2.0.0 Ok\r\n452 4.2.2 Over quota\r\n',
        ['alice@example.com accepted 250', 'bob@example.com temporary 452'],
      ],
    ])(
      'sends RSET after a refused BDAT LAST too, before the next message (RFC 3030 2), in %s',
      (_n, lmtp, replies, outcomes) => {
        const to = ['alice@example.com', 'bob@example.com']
        const messages = [1, 2].map(() => ({ envelope: env({ to }), body: ['aaaa'] }))
        const h = greet(new ClientHarness({ helo, lmtp, ehlo: true }, messages), ['PIPELINING', 'CHUNKING'])
        h.feed('250 Ok\r\n250 Ok\r\n250 Ok\r\n')
        expect(h.read()).toMatch(/BDAT 4\r\naaaaBDAT 2 LAST\r\n\r\n$/)
        h.feed(`250 2.0.0 4 octets received\r\n${replies}`)
        expect(h.read()).toBe('RSET\r\n')
        h.feed('250 2.0.0 Ok\r\n')
        expect(h.read()).toMatch(/^MAIL FROM:/)
        expect(resultsOf(h)[0]!.recipients).toEqual(outcomes)
      },
    )
    it('sends QUIT, not RSET, after a refused BDAT LAST when the session is to end', () => {
      const h = greet(manual({ helo }), ['PIPELINING', 'CHUNKING'])
      h.input(ClientInput.submitted(env()))
      h.feed('250 Ok\r\n250 Ok\r\n')
      h.input(ClientInput.bodyChunk(encode('aaaa\r\n')))
      h.input(ClientInput.bodyEnd)
      h.input(ClientInput.quitRequested) // a quit asked for while the message is still in flight
      expect(h.read()).toMatch(/BDAT 0 LAST\r\n$/)
      h.feed('250 2.0.0 6 octets received\r\n554 5.6.0 Refused\r\n')
      expect(h.read()).toBe('QUIT\r\n')
      expect(resultsOf(h)).toEqual([
        { status: 'permanent', code: 554, recipients: ['alice@example.com permanent 554'] },
      ])
    })
    it('sends no RSET after a BDAT LAST that every recipient took', () => {
      const messages = [1, 2].map(() => ({ envelope: env(), body: ['aaaa'] }))
      const h = greet(new ClientHarness({ helo }, messages), ['PIPELINING', 'CHUNKING'])
      h.feed('250 Ok\r\n250 Ok\r\n')
      expect(h.read()).toMatch(/BDAT 2 LAST\r\n\r\n$/)
      h.feed('250 2.0.0 4 octets received\r\n250 2.0.0 Ok\r\n')
      expect(h.read()).toMatch(/^MAIL FROM:/)
    })
    it('drops the answer to a BodyWanted left open by a failed chunk, and holds Ready until it came', () => {
      const h = greet(manual({ helo }), ['PIPELINING', 'CHUNKING'])
      h.input(ClientInput.submitted(env()))
      h.feed('250 Ok\r\n250 Ok\r\n')
      h.input(ClientInput.bodyChunk(encode('aaaa')))
      expect(h.of('BodyWanted')).toHaveLength(2)
      h.read()
      h.feed('552 5.3.4 Too big\r\n')
      h.feed('250 2.0.0 Ok\r\n')
      expect(h.read()).toBe('RSET\r\n')
      expect(h.of('Ready')).toHaveLength(1)
      h.input(ClientInput.submitted(env()))
      expect(h.outputs.at(-1)).toMatchObject({ _tag: 'Misuse' })
      h.input(ClientInput.bodyChunk(encode('bbbb')))
      expect(h.read()).toBe('')
      expect(h.of('Ready')).toHaveLength(2)
      expect(h.of('Misuse')).toHaveLength(1)
    })
    it('sends a text body over BDAT with CRLF line ends and a final line break (RFC 3030 2)', () => {
      const h = greet(new ClientHarness({ helo, pipelining: false }, [{ envelope: env(), body: ['a\rb\n.c'] }]), [
        'CHUNKING',
      ])
      expect(h.read()).toBe(`EHLO ${helo}\r\nMAIL FROM:<bob@example.org>\r\n`)
      h.feed('250 Ok\r\n250 Ok\r\n')
      expect(h.read()).toBe('RCPT TO:<alice@example.com>\r\nBDAT 8\r\na\r\nb\r\n.c')
      h.feed('250 Ok\r\n')
      expect(h.read()).toBe('BDAT 2 LAST\r\n\r\n')
    })
    it('uses BDAT for BINARYMIME and sends the bytes exactly, bare CR and LF included', () => {
      const e = env({ params: { body: 'BINARYMIME' } })
      const h = greet(new ClientHarness({ helo, pipelining: false }, [{ envelope: e, body: ['a\rb\n.\r\n'] }]), [
        'CHUNKING',
        'BINARYMIME',
        'PIPELINING',
      ])
      expect(h.read()).toBe(`EHLO ${helo}\r\nMAIL FROM:<bob@example.org> BODY=BINARYMIME\r\n`)
      h.feed('250 Ok\r\n250 Ok\r\n')
      expect(h.read()).toBe('RCPT TO:<alice@example.com>\r\nBDAT 7\r\na\rb\n.\r\n')
    })
  })

  describe('results when the session ends (RFC 5321 6.1)', () => {
    const afterDot = (options = {}, to = ['alice@example.com']) => {
      const h = greet(new ClientHarness({ helo, ...options }, [{ envelope: env({ to }), body: ['hi'] }]), [
        'PIPELINING',
      ])
      h.feed(`250 Ok\r\n${to.map(() => '250 Ok\r\n').join('')}354 Go\r\n`)
      expect(h.read()).toMatch(/hi\r\n\.\r\n$/)
      return h
    }
    it.each([
      ['a timeout', ClientInput.timerFired('reply'), 'Timeout'],
      ['a lost connection', ClientInput.peerClosed, 'ConnectionLost'],
    ])('makes the outcome unknown, never accepted, after %s between the dot and its reply', (_name, input, tag) => {
      const h = afterDot()
      h.input(input)
      expect(h.of('MessageResult')).toMatchObject([{ status: 'unknown', error: { _tag: tag } }])
      expect(h.of('RecipientResult')).toMatchObject([{ status: 'unknown', reply: undefined }])
      expect(h.of('Failed')).toMatchObject([{ error: { _tag: tag } }])
      expect(h.closed).toBe(true)
    })
    it.each([
      ['MAIL', '', 'the reply to MAIL'],
      ['RCPT, with DATA already out behind it', '250 Ok\r\n', 'the reply to RCPT'],
      ['DATA', '250 Ok\r\n250 Ok\r\n', 'the reply to DATA'],
    ])('a pipelined envelope that times out waiting for %s says so', (_name, replies, waitingFor) => {
      const h = greet(new ClientHarness({ helo }, [{ envelope: env(), body: [] }]), ['PIPELINING'])
      expect(h.read()).toMatch(/RCPT TO:[^\r]*\r\nDATA\r\n$/)
      h.feed(replies)
      h.input(ClientInput.timerFired('reply'))
      expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'Timeout', waitingFor } }])
    })
    it('makes the outcome temporary when the connection is lost before the end of the data', () => {
      const h = greet(new ClientHarness({ helo }, [{ envelope: env(), body: [] }]), ['PIPELINING'])
      h.feed('250 Ok\r\n')
      h.input(ClientInput.peerClosed)
      expect(resultsOf(h)).toEqual([
        { status: 'temporary', code: undefined, recipients: ['alice@example.com temporary -'] },
      ])
    })
    it('drops, without a Misuse, the answer to a BodyWanted that was open when the session ended', () => {
      const h = greet(manual({ helo }), ['PIPELINING'])
      h.input(ClientInput.submitted(env()))
      h.feed('250 Ok\r\n250 Ok\r\n354 Go\r\n')
      h.input(ClientInput.peerClosed)
      h.input(ClientInput.bodyChunk(encode('late')))
      expect(h.of('Misuse')).toEqual([])
      h.input(ClientInput.bodyEnd)
      expect(h.of('Misuse')).toHaveLength(1)
    })
    it('gives a 421 after the dot as the temporary reply of the message (RFC 5321 3.8)', () => {
      const h = afterDot()
      h.feed('421 4.3.2 Shutting down\r\n')
      expect(resultsOf(h)).toEqual([
        { status: 'temporary', code: 421, recipients: ['alice@example.com temporary 421'] },
      ])
      expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'ServiceClosing' } }])
    })
    it("in LMTP, a 421 is one recipient's verdict: the replies after it are read, then the session closes (RFC 2033 4.2)", () => {
      const h = afterDot({ lmtp: true }, ['a@example.com', 'b@example.com', 'c@example.com'])
      h.feed('250 2.0.0 Delivered\r\n421 4.3.2 Shutting down\r\n250 2.0.0 Delivered too\r\n')
      expect(resultsOf(h)).toEqual([
        {
          status: 'accepted',
          code: undefined,
          recipients: ['a@example.com accepted 250', 'b@example.com temporary 421', 'c@example.com accepted 250'],
        },
      ])
      expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'ServiceClosing' } }])
      expect(h.closed).toBe(true)
    })
    it('in LMTP, a server that closes after a 421 verdict ends the session as the 421 said, the rest unknown', () => {
      const h = afterDot({ lmtp: true }, ['a@example.com', 'b@example.com', 'c@example.com'])
      h.feed('250 2.0.0 Delivered\r\n421 4.3.2 Shutting down\r\n')
      h.input(ClientInput.peerClosed)
      expect(resultsOf(h)[0]!.recipients).toEqual([
        'a@example.com accepted 250',
        'b@example.com temporary 421',
        'c@example.com unknown -',
      ])
      expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'ServiceClosing', reply: { code: 421 } } }])
    })
    it('in LMTP, keeps the replies that came and leaves the rest unknown (RFC 2033 4.2)', () => {
      const h = afterDot({ lmtp: true }, ['a@example.com', 'b@example.com'])
      h.feed('250 2.0.0 Delivered\r\n')
      h.input(ClientInput.peerClosed)
      expect(resultsOf(h)).toEqual([
        { status: 'accepted', code: undefined, recipients: ['a@example.com accepted 250', 'b@example.com unknown -'] },
      ])
    })
    it('takes a 552 to RCPT as temporary, the recipient past a limit that RFC 821 gave 552 (RFC 5321 4.5.3.1.10)', () => {
      const to = ['a@x.example', 'b@x.example', 'c@x.example']
      const h = greet(new ClientHarness({ helo }, [{ envelope: env({ to }), body: ['hi\r\n'] }]), ['PIPELINING'])
      h.feed('250 Ok\r\n250 Ok\r\n552 5.5.3 Too many recipients\r\n550 5.1.1 No such user\r\n354 Go\r\n')
      h.feed('250 Ok\r\n')
      expect(resultsOf(h)).toEqual([
        {
          status: 'accepted',
          code: 250,
          recipients: ['a@x.example accepted 250', 'b@x.example temporary 552', 'c@x.example permanent 550'],
        },
      ])
    })
    it('reports the MAIL refusal for every recipient (RFC 5321 3.3)', () => {
      const h = greet(
        new ClientHarness({ helo }, [{ envelope: env({ to: ['a@x.example', 'b@x.example'] }), body: [] }]),
        [],
      )
      h.feed('530 5.7.0 Authentication required\r\n')
      expect(h.read()).toMatch(/MAIL FROM:<bob@example.org>\r\nRSET\r\n$/)
      expect(resultsOf(h)).toEqual([
        { status: 'permanent', code: 530, recipients: ['a@x.example permanent 530', 'b@x.example permanent 530'] },
      ])
    })
  })

  describe('timers (RFC 5321 4.5.3.2)', () => {
    it('arms the timeout of each wait in turn, and stops it when Ready', () => {
      const timeouts = {
        greeting: 1,
        hello: 2,
        mail: 3,
        rcpt: 4,
        dataInit: 5,
        dataBlock: 6,
        dataEnd: 7,
        command: 8,
        quit: 9,
      }
      const h = new ClientHarness({ helo, timeouts }, [{ envelope: env(), body: ['x'] }])
      const timers = () =>
        h.outputs.flatMap((o): Array<number | 'clear'> =>
          o._tag === 'SetTimer' ? [o.ms] : o._tag === 'ClearTimer' ? ['clear'] : [],
        )
      for (const r of [
        '220 mx\r\n',
        '250 mx\r\n',
        '250 Ok\r\n',
        '250 Ok\r\n',
        '354 Go\r\n',
        '250 Ok\r\n',
        '221 Bye\r\n',
      ])
        h.feed(r)
      // greeting, EHLO, (Ready: clear) MAIL, RCPT, DATA, body block x2, end of data, (Ready) QUIT, (Close: clear)
      expect(timers()).toEqual([1, 2, 'clear', 3, 4, 5, 6, 6, 7, 'clear', 9, 'clear'])
    })
    it('once BDAT LAST is out, the wait is the end of the data even while earlier chunk replies are due (4.5.3.2.6)', () => {
      const timeouts = { dataBlock: 6, dataEnd: 7 }
      const h = greet(new ClientHarness({ helo, timeouts }, [{ envelope: env(), body: ['one', 'two'] }]), [
        'PIPELINING',
        'CHUNKING',
      ])
      h.feed('250 Ok\r\n250 Ok\r\n') // MAIL, RCPT: the chunks go, pipelined, and then BDAT LAST
      expect(h.read()).toMatch(/BDAT 3\r\noneBDAT 3\r\ntwoBDAT 2 LAST\r\n\r\n$/)
      const last = h.outputs.filter((o) => o._tag === 'SetTimer').at(-1)
      expect(last).toMatchObject({ ms: 7 }) // a server may hold the chunks' replies until it has the message
    })
    it('ignores a timer that is not armed', () => {
      const h = greet(manual({ helo }), [])
      const before = h.state
      h.input(ClientInput.timerFired('reply'))
      expect(h.state).toBe(before)
    })
  })
})
