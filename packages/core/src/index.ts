// @smtpure/core: the public surface. Everything here is pure: no I/O, no clock, no randomness.
export * from './wire/bytes.js'
