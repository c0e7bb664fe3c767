// The data-rate window and the driver's own back-pressure: when the application reads the message slowly,
// the driver stops reading from the client, and that pause must not count against the client.
import { describe, expect, it } from 'vitest'
import { serverConfig } from '@smtpure/core'
import { runServerSession } from '../src/index.js'
import { MemoryTransport, testRuntime } from './MemoryTransport.js'

describe('the data-rate window and back-pressure (docs/security.md, minDataRate)', () => {
  it('a client that the server itself stopped reading from is not cut off as a slow client', async () => {
    const config = serverConfig({ hostname: 'mx.example.com', maxMessageSize: 0 })
    if (config._tag === 'Left') throw new Error(config.left.errors.join())
    const transport = new MemoryTransport()
    const runtime = testRuntime()
    let release: () => void = () => undefined
    const later = new Promise<void>((r) => (release = r))
    void runServerSession(transport, {
      config: config.right,
      runtime,
      hooks: {
        onMessage: async (m) => {
          await later // the application is busy before it reads (a slow disk, a scanner)
          for await (const _ of m.chunks) void _
        },
      },
    })
    await transport.until(/^220 /)
    transport.send('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n')
    await transport.until(/354 /)
    const line = 'x'.repeat(998) + '\r\n'
    transport.send(line.repeat(1200)) // 1.2 MB: past the driver's high-water mark, so reading pauses
    expect(transport.paused).toBe(true)
    runtime.fire() // first rate window: 1.2 MB came, well over the minimum
    runtime.fire() // second window: nothing came, because the server is not reading
    release()
    await new Promise((r) => setTimeout(r, 50))
    expect(transport.text()).not.toMatch(/421 4\.4\.2/)
  })
})
