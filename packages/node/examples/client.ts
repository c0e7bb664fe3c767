// A submission client: STARTTLS required, AUTH, two messages over one connection.
import { readFile } from 'node:fs/promises'
import { SmtpClientError } from '@smtpure/driver'
import { connectSmtp } from '@smtpure/node'

const session = await connectSmtp({
  host: 'mail.example.com',
  port: 587,
  security: 'starttls', // never falls back to plaintext
  smtp: { helo: 'laptop.example.org', auth: { username: 'bob', password: process.env.SMTP_PASSWORD ?? '' } },
})

try {
  const ready = await session.ready
  console.log('server offers', ready.capabilities.size, 'octets at most')
  const result = await session.send({
    envelope: { from: 'bob@example.org', to: ['alice@example.com', 'carol@example.com'] },
    body: await readFile('message.eml'),
  })
  for (const r of result.recipients) console.log(r.address, r.status, r.reply?.code)
  // A body can also stream: any (async) iterable of Uint8Array chunks.
  await session.send({ envelope: { from: null, to: ['alice@example.com'] }, body: 'Subject: ping\r\n\r\npong\r\n' })
  await session.quit()
} catch (e) {
  if (e instanceof SmtpClientError) console.error('session failed:', e.error._tag, e.message)
  else throw e
}
