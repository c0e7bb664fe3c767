import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  OptionsError,
  type SmtpClientSessionOptions,
  type SmtpServerSessionOptions,
  clientConfigOf,
  optionKeys,
  serverConfigOf,
  serverOptionKeys,
  sessionPool,
  shown,
} from '../src/index.js'
import { MemoryTransport, testRuntime } from './MemoryTransport.js'

const files = { key: 'key', cert: 'cert' }

describe('adapter', () => {
  describe('serverConfigOf', () => {
    it('offers STARTTLS when there is a certificate and TLS is not implicit (RFC 3207 4)', () => {
      expect(serverConfigOf({ tls: files }).startTls).toBe(true)
      expect(serverConfigOf({ tls: files, implicitTls: true }).startTls).toBe(false)
      expect(serverConfigOf({}).startTls).toBe(false)
    })
    it('throws one error listing every problem', () => {
      const smtp: unknown = { maxRecipients: -1, hostname: 7 }
      const bad = () => serverConfigOf({ smtp: smtp as SmtpServerSessionOptions })
      expect(bad).toThrow(/^invalid server options:\n/)
      expect(bad).toThrow(/hostname/)
    })
    it('says one thing per option: a negative maxRecipients is not a whole number >= 0, and that is all', () => {
      const lines = (smtp: SmtpServerSessionOptions): string[] => {
        try {
          serverConfigOf({ smtp })
          return []
        } catch (e) {
          return (e as Error).message.split('\n').slice(1)
        }
      }
      expect(lines({ maxRecipients: -3 })).toEqual(['smtp.maxRecipients: must be a whole number >= 0, given -3'])
      expect(lines({ maxRecipients: 0 })).toEqual(['smtp.maxRecipients: must be at least 1, given 0'])
    })
  })

  describe('options problems: one line each with path, expectation and given value', () => {
    const serverProblems = (smtp: unknown): ReadonlyArray<string> => {
      try {
        serverConfigOf({ smtp: smtp as SmtpServerSessionOptions })
      } catch (e) {
        expect(e).toBeInstanceOf(OptionsError)
        expect((e as Error).message).toBe(`invalid server options:\n${(e as OptionsError).problems.join('\n')}`)
        return (e as OptionsError).problems
      }
      return []
    }
    const clientProblems = (smtp: unknown): ReadonlyArray<string> => {
      try {
        clientConfigOf({ smtp: smtp as SmtpClientSessionOptions })
      } catch (e) {
        expect(e).toBeInstanceOf(OptionsError)
        return (e as OptionsError).problems
      }
      return []
    }

    it('refuses unknown keys at run time, with the nearest known name', () => {
      expect(serverProblems({ maxMesageSize: 10 })).toEqual([
        'smtp.maxMesageSize: unknown option (did you mean maxMessageSize?)',
      ])
      expect(clientProblems({ hello: 'a.example' })).toEqual(['smtp.hello: unknown option (did you mean helo?)'])
      expect(clientProblems({ timeouts: { mial: 5 } })).toEqual([
        'smtp.timeouts.mial: unknown option (did you mean mail?)',
      ])
      expect(clientProblems({ tls: 'required' })).toEqual(['smtp.tls: unknown option (set by `security`)'])
      expect(serverProblems({ questions: [] })).toEqual(['smtp.questions: unknown option (set by `hooks`)'])
      expect(serverProblems({ zzzzzzzz: true })).toEqual(['smtp.zzzzzzzz: unknown option'])
    })

    it('says what type was expected and what was given, per path', () => {
      expect(serverProblems({ hostname: 7, authMechanisms: ['PLAIN', 'NTLM'], bareLineEndings: 'strip' })).toEqual([
        'smtp.hostname: expected string, given 7',
        'smtp.authMechanisms[1]: expected "PLAIN" | "LOGIN" | "CRAM-MD5" | "XOAUTH2", given "NTLM"',
        'smtp.bareLineEndings: expected "reject" | "keep", given "strip"',
      ])
      expect(clientProblems({ auth: { username: 1 } })).toEqual(['smtp.auth.username: expected string, given 1'])
      expect(serverProblems('big')).toEqual(['smtp: expected an object of session options, given "big"'])
    })

    it('reports the RFC limits with the value given', () => {
      expect(serverProblems({ maxRecipients: 0, maxLineLength: 100 })).toEqual([
        'smtp.maxLineLength: must be a whole number >= 512, given 100',
        'smtp.maxRecipients: must be at least 1, given 0',
      ])
      expect(clientProblems({ timeouts: { mail: -1 } })).toEqual([
        'smtp.timeouts.mail: must be a whole number > 0, given -1',
      ])
    })

    it('takes as hostname a domain name within RFC 1035 and RFC 5321 lengths, or an address literal', () => {
      const label = (n: number): string => 'a'.repeat(n)
      const refused = (hostname: string) => [
        `smtp.hostname: must be a domain name or an address literal, given ${shown(hostname)}`,
      ]
      for (const ok of [
        `${label(63)}.example`,
        [label(63), label(63), label(63), label(63)].join('.'),
        'localhost',
        '[192.0.2.1]',
        '[IPv6:2001:db8::1]',
      ])
        expect(serverProblems({ hostname: ok })).toEqual([])
      // a label of 64 octets (RFC 1035 2.3.4), a name of 256 (RFC 5321 4.5.3.1.2), a literal that is no address (4.1.3)
      for (const bad of [
        `${label(64)}.example`,
        [label(63), label(63), label(63), label(62), label(1)].join('.'),
        '[bogus]',
        'a_b.example',
        'mx.example.com.',
      ])
        expect(serverProblems({ hostname: bad })).toEqual(refused(bad))
    })

    it('shows in docs/node.md what it reports', () => {
      const doc = readFileSync(new URL('../../../docs/node.md', import.meta.url), 'utf8')
      const message = (smtp: unknown, others: object = {}): string => {
        try {
          serverConfigOf({ ...others, smtp: smtp as SmtpServerSessionOptions })
        } catch (e) {
          return (e as Error).message
        }
        return ''
      }
      expect(doc).toContain('```text\n' + message({ maxMesageSize: 10, hostname: 7 }, { hoks: {} }) + '\n```')
      expect(doc).toContain('```text\n' + message({ maxRecipients: 0 }) + '\n```')
    })

    it('puts no io-ts text in any line', () => {
      for (const line of serverProblems({ hostname: {}, maxMessageSize: 'x', lmtp: 1 })) {
        expect(line).toMatch(/^smtp\.\w+: expected \w+, given .+$/)
        expect(line).not.toMatch(/Invalid value|supplied to/)
      }
    })
  })

  describe('clientConfigOf', () => {
    it.each([
      ['none', 'none', false],
      ['opportunistic', 'opportunistic', false],
      ['starttls', 'required', false],
      ['implicit', 'none', true],
    ] as const)('security %s: STARTTLS policy %s, implicit TLS %s', (security, tls, implicitTls) => {
      expect(clientConfigOf({ security })).toMatchObject({ tls, implicitTls })
    })
  })

  describe('the adapter options beside smtp', () => {
    const client = (o: Record<string, unknown>) => () =>
      clientConfigOf({ host: '127.0.0.1', port: 25, ...o } as Parameters<typeof clientConfigOf>[0])
    const server = (o: Record<string, unknown>) => () => serverConfigOf(o as Parameters<typeof serverConfigOf>[0])
    it('refuses a security mode it does not know, rather than sending in clear', () => {
      expect(client({ security: 'tls' })).toThrow(OptionsError)
      expect(client({ security: 'tls' })).toThrow(/^security: expected .*given "tls"$/m)
    })
    it('refuses a port or connect timeout that is not a whole number in range', () => {
      expect(client({ port: 70000 })).toThrow(/^port: .*given 70000$/m)
      expect(client({ connectTimeoutMs: -5 })).toThrow(/^connectTimeoutMs: .*given -5$/m)
      expect(client({ host: '' })).toThrow(/^host: .*given ""$/m)
      expect(client({ security: 'starttls', port: 587, connectTimeoutMs: 1000 })).not.toThrow()
    })
    it('refuses limits and timeouts that are not whole numbers in range', () => {
      expect(server({ hookTimeoutMs: -1 })).toThrow(/^hookTimeoutMs: .*given -1$/m)
      expect(server({ hookTimeoutMs: Number.NaN })).toThrow(/^hookTimeoutMs: /m)
      expect(server({ maxConnections: 1.5 })).toThrow(/^maxConnections: .*given 1.5$/m)
      expect(server({ maxConnectionsPerAddress: -1 })).toThrow(/^maxConnectionsPerAddress: /m)
      expect(server({ tlsHandshakeTimeoutMs: 'x', tls: files })).toThrow(/^tlsHandshakeTimeoutMs: .*given "x"$/m)
      expect(server({ maxConnections: 0, hookTimeoutMs: 1000 })).not.toThrow()
    })
    it('refuses hooks and onError that are not functions, which would fail only once a client comes', () => {
      expect(server({ onError: 'x' })).toThrow(/^onError: expected a function, given a string$/m)
      expect(server({ hooks: { onMessage: 5, onRcptTo: 'nope' } })).toThrow(
        /^hooks.onMessage: expected a function, given a number$/m,
      )
      expect(server({ hooks: { onMessage: 5, onRcptTo: 'nope' } })).toThrow(/^hooks.onRcptTo: expected a function/m)
      expect(server({ hooks: 'x' })).toThrow(/^hooks: expected an object of hooks, given "x"$/m)
      expect(
        server({ hooks: { onMessage: async () => undefined, onClose: undefined }, onError: () => {} }),
      ).not.toThrow()
      expect(client({ onError: 1 })).toThrow(/^onError: expected a function, given a number$/m)
    })
    it('refuses implicitTls without a certificate, rather than listening in clear (RFC 8314 3.3)', () => {
      expect(server({ implicitTls: true })).toThrow(/^implicitTls: needs tls \(a certificate and key\)$/m)
      expect(server({ implicitTls: 'yes', tls: files })).toThrow(/^implicitTls: expected true or false, given "yes"$/m)
      expect(server({ implicitTls: true, tls: files })).not.toThrow()
      expect(server({ implicitTls: false })).not.toThrow()
    })
    it('refuses a verify that is not true or false, rather than guessing what 0 or "no" meant', () => {
      expect(client({ verify: 0 })).toThrow(/^verify: expected true or false, given 0$/m)
      expect(client({ verify: 'no' })).toThrow(/^verify: expected true or false, given "no"$/m)
      expect(client({ verify: false })).not.toThrow()
    })
    it('refuses flags that are not true or false', () => {
      expect(server({ limitLoopback: 1 })).toThrow(/^limitLoopback: expected true or false, given 1$/m)
      expect(server({ transcript: 'yes' })).toThrow(/^transcript: expected true or false, given "yes"$/m)
      expect(client({ transcript: 1 })).toThrow(/^transcript: expected true or false, given 1$/m)
    })
    it('refuses a certificate without its key, and the other way round', () => {
      expect(server({ tls: { key: 'key' } })).toThrow(/^tls.cert: .*given undefined$/m)
      expect(server({ tls: { cert: 'cert' } })).toThrow(/^tls.key: /m)
    })
  })

  describe('unknown option keys, at any depth (docs/node.md, "Bad options")', () => {
    const server = (o: unknown, keys?: Parameters<typeof serverConfigOf>[1]) => () =>
      serverConfigOf(o as Parameters<typeof serverConfigOf>[0], keys)
    const problems = (make: () => unknown): ReadonlyArray<string> => {
      try {
        make()
      } catch (e) {
        if (e instanceof OptionsError) return e.problems
        throw e
      }
      return []
    }
    it.each([
      [{ hoks: {} }, 'hoks: unknown option (did you mean hooks?)'],
      [{ tsl: files }, 'tsl: unknown option (did you mean tls?)'],
      [{ hooks: { onMesage: () => 1 } }, 'hooks.onMesage: unknown option (did you mean onMessage?)'],
      [{ tls: { ...files, kye: 'x' } }, 'tls.kye: unknown option (did you mean key?)'],
      [
        { tls: { ...files, sni: { 'a.example': { ...files, crt: 'c' } } } },
        'tls.sni["a.example"].crt: unknown option (did you mean cert?)',
      ],
      [{ proxy: { trusted: [] } }, 'proxy: unknown option (only @smtpure/node reads PROXY headers)'],
      [null, '(options): expected an object of options, given null'],
      // numbers as they are: JSON would write NaN and Infinity as null, a value no one gave
      [{ maxConnections: NaN }, 'maxConnections: expected a whole number from 0 to 9007199254740991, given NaN'],
      [
        { maxConnections: Infinity },
        'maxConnections: expected a whole number from 0 to 9007199254740991, given Infinity',
      ],
      [{ smtp: { hostname: [NaN, undefined] } }, 'smtp.hostname: expected string, given [NaN,undefined]'],
    ])('server %j: %s', (options, line) => {
      expect(problems(server(options))).toEqual([line])
    })
    it('lists every problem at once, the session options with them', () => {
      expect(problems(server({ hoks: {}, maxConnections: -1, smtp: { maxMesageSize: 1 } }))).toEqual([
        'hoks: unknown option (did you mean hooks?)',
        'maxConnections: expected a whole number from 0 to 9007199254740991, given -1',
        'smtp.maxMesageSize: unknown option (did you mean maxMessageSize?)',
      ])
    })
    it('an adapter with options of its own passes their keys, and those are checked inside too', () => {
      const keys = { table: { ...serverOptionKeys, proxy: optionKeys({ trusted: true }) } }
      expect(server({ proxy: { trusted: [] } }, keys)).not.toThrow()
      expect(problems(server({ proxy: { trusted: [], timeout: 1 } }, keys))).toEqual(['proxy.timeout: unknown option'])
    })
    it('every key of SmtpServerOptions is known', () => {
      const all = {
        smtp: {},
        hooks: { onConnect: () => undefined, onMessage: () => undefined, onClose: () => undefined },
        logger: {
          info: () => undefined,
          warn: () => undefined,
          error: () => undefined,
          debug: () => undefined,
          extra: 1,
        },
        transcript: true,
        tls: { ...files, sni: { 'a.example': files }, requestCert: true, ca: 'ca' },
        implicitTls: false,
        maxConnections: 1,
        maxConnectionsPerAddress: 1,
        limitLoopback: true,
        hookTimeoutMs: 1,
        tlsHandshakeTimeoutMs: 1,
        onError: () => undefined,
      }
      expect(server(all)).not.toThrow()
    })
    it.each([
      [{ secruity: 'starttls' }, 'secruity: unknown option (did you mean security?)'],
      [{ secure: true }, 'secure: unknown option (TLS from the first byte is security: implicit)'],
      [{ auth: { user: 'a', pass: 'b' } }, 'auth: unknown option (credentials go in smtp.auth)'],
    ])('client %j: %s', (options, line) => {
      expect(problems(() => clientConfigOf({ host: 'mx.example', port: 25, ...options }))).toEqual([line])
    })
  })

  describe('secrets are never shown in a problem line (docs/api.md: the password is never logged)', () => {
    const secret = 'S3CRETPW'
    const problemsOf = (make: () => unknown): string => {
      try {
        make()
      } catch (e) {
        if (e instanceof OptionsError) return e.message
        throw e
      }
      return expect.fail('no OptionsError')
    }
    const client = (auth: unknown) => () =>
      clientConfigOf({ host: 'mx.example', port: 25, smtp: { auth } } as unknown as Parameters<
        typeof clientConfigOf
      >[0])
    it.each([
      ['a password no mechanism allowed can use', { username: 'bob', password: secret, mechanisms: ['XOAUTH2'] }],
      ['a token with a mechanism that needs a password', { username: 'bob', token: secret, mechanisms: ['PLAIN'] }],
      ['a misspelled password key', { username: 'bob', pasword: secret }],
      ['a misspelled token key', { username: 'bob', tokn: secret }],
      ['a password that is not a string', { username: 'bob', password: [secret] }],
      ['a password under a short name', { username: 'bob', pw: secret }],
      ['the credentials as one string', `bob:${secret}`],
      ['the credentials as an array', ['bob', secret]],
      ['a bearer token under a name of its own', { username: 'bob', bearer: secret }],
    ])('client smtp.auth with %s', (_, auth) => {
      const message = problemsOf(client(auth))
      expect(message).not.toContain(secret)
      expect(message).toMatch(/^smtp\.auth/m) // the problem is still named
    })
    it.each([
      ['a key that is not PEM text or octets', { tls: { key: [secret], cert: 'cert' } }],
      ['the key given where tls goes', { tls: `-----BEGIN PRIVATE KEY-----\n${secret}` }],
      ['a misspelled key of an SNI name', { tls: { ...files, sni: { 'a.example': { cert: 'c', kye: secret } } } }],
      ['a misspelled passphrase', { tls: { ...files, pasphrase: secret } }],
      ['a map of users where no option takes one', { smtp: { users: { bob: secret } } }],
      ['a password where a hook goes', { hooks: { onAuth: secret } }],
    ])('server with %s', (_, options) => {
      const message = problemsOf(() => serverConfigOf(options as unknown as Parameters<typeof serverConfigOf>[0]))
      expect(message).not.toContain(secret)
    })
  })

  describe('sessionPool', () => {
    it('past maxConnections a new connection gets 421 and is closed (RFC 5321 3.8)', async () => {
      const config = serverConfigOf({ smtp: { hostname: 'mx.example.com' } })
      const pool = sessionPool({ maxConnections: 1 }, config, testRuntime())
      const first = new MemoryTransport()
      const second = new MemoryTransport()
      pool.admit(first)
      pool.admit(second)
      await first.until(/^220 /)
      expect(second.text()).toBe('421 mx.example.com Too many connections, try again later\r\n')
      expect(second.closed).toBe(true)
      expect(pool.size()).toBe(1)
      await pool.close(1000)
      expect(first.text()).toMatch(/\r\n421 4\.3\.2 Service shutting down/) // before EHLO too (RFC 2034 4)
      expect(pool.size()).toBe(0)
    })
  })
})
