// Trace information a receiving server adds to a message: the Received and Return-Path header fields.
// RFC 5321 4.4, RFC 5322 3.6.7; see received.ts for the details.
export * from './received.js'
