// The classic SMTP conversation (RFC 5321's example session, in its best-known form), shared by
// the `npm start` demo and the transcript tests.
import { type Answer, type Question, type ServerOptions, accept, reply } from '../src/index.js'

export type Answerer = (q: Question) => Answer

export const classicOptions: ServerOptions = {
  hostname: 'smtp.example.com',
  greeting: 'smtp.example.com ESMTP Postfix',
  // the example's server shows no enhanced status codes: it does not offer the extension (RFC 2034 4)
  enhancedStatusCodes: false,
}

/** The application's side: the texts the example shows are the application's to choose. */
export const classicAnswers: Answerer = (q) => {
  switch (q._tag) {
    case 'Hello':
      return accept(reply(250, undefined, 'smtp.example.com, I am glad to meet you'))
    case 'Message':
      return accept(reply(250, '2.0.0', 'Ok: queued as 12345'))
    default:
      return accept()
  }
}

export const classicMessage = [
  'From: "Bob Example" <bob@example.org>',
  'To: "Alice Example" <alice@example.com>',
  'Cc: theboss@example.com',
  'Date: Tue, 15 January 2008 16:02:43 -0500',
  'Subject: Test message',
  '',
  'Hello Alice.',
  'This is a test message with 5 header fields and 4 lines in the message body.',
  'Your friend,',
  'Bob',
]

/** The whole conversation, client lines as `C:` and server lines as `S:`. */
export const classicTranscript = [
  'S: 220 smtp.example.com ESMTP Postfix',
  'C: HELO relay.example.org',
  'S: 250 smtp.example.com, I am glad to meet you',
  'C: MAIL FROM:<bob@example.org>',
  'S: 250 Ok',
  'C: RCPT TO:<alice@example.com>',
  'S: 250 Ok',
  'C: RCPT TO:<theboss@example.com>',
  'S: 250 Ok',
  'C: DATA',
  'S: 354 End data with <CR><LF>.<CR><LF>',
  ...classicMessage.map((l) => `C: ${l}`),
  'C: .',
  'S: 250 Ok: queued as 12345',
  'C: QUIT',
  'S: 221 Bye',
]
