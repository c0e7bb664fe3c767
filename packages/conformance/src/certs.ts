// The test CA, leaf and client certificates, made at test time with openssl (the Node adapter's helper).
export { type ClientCert, type TestCerts, makeCerts, makeClientCert } from '../../node/test/certs.ts'
