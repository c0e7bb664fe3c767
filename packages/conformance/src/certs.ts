// The test CA and leaf certificate, made at test time with openssl (the Node adapter's helper).
export { type TestCerts, makeCerts } from '../../node/test/certs.ts'
