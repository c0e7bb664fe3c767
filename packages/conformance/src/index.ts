// @smtpure/conformance: the adapter suite, its raw peer and its certificates.
export { type Adapter, type Case, conformanceCases } from './suite.ts'
export { RawPeer } from './peer.ts'
export { type ClientCert, type TestCerts, makeCerts, makeClientCert } from './certs.ts'
