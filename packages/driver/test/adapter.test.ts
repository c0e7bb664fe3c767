import { describe, expect, it } from 'vitest'
import { clientConfigOf, serverConfigOf, sessionPool } from '../src/index.js'
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
      const bad = () => serverConfigOf({ smtp: { maxRecipients: -1, hostname: 7 } })
      expect(bad).toThrow(/^invalid server options:\n/)
      expect(bad).toThrow(/maxRecipients/)
      expect(bad).toThrow(/hostname/)
    })
  })

  describe('clientConfigOf', () => {
    it.each([
      ['none', 'none', false],
      ['opportunistic', 'opportunistic', false],
      ['starttls', 'required', false],
      ['implicit', 'none', true],
    ] as const)('security %s: STARTTLS policy %s, implicit TLS %s', (security, tls, implicitTls) => {
      expect(clientConfigOf({ host: 'mx.example.com', port: 25, security })).toMatchObject({ tls, implicitTls })
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
      expect(first.text()).toMatch(/\r\n421 Service shutting down/) // before EHLO: no enhanced code
      expect(pool.size()).toBe(0)
    })
  })
})
