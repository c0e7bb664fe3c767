// SASL for SMTP AUTH (RFC 4954): mechanisms, server and client exchanges as pure steps, and the base64 and
// MD5 they need (RFC 4648 4, RFC 1321, RFC 2104).

export { decodeBase64, encodeBase64 } from './base64.js'
export { hmacMd5, md5, toHex } from './md5.js'
export { mechanisms, parseMechanism, type Mechanism } from './Mechanism.js'
export {
  saslServerNext,
  saslServerStart,
  verifyCramMd5,
  xoauth2ErrorChallenge,
  type Credentials,
  type SaslServerState,
  type SaslServerStep,
} from './server.js'
export {
  chooseMechanism,
  saslClientNext,
  saslClientStart,
  secretProblem,
  type SaslClientState,
  type SaslClientStep,
  type SaslSecret,
} from './client.js'
