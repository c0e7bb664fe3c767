// Test certificates made at test time: a CA and a leaf for localhost/127.0.0.1 signed by it
// (a self-signed leaf is refused by some TLS stacks as "CA used as end entity").
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCerts {
  readonly dir: string
  readonly ca: string
  readonly cert: string
  readonly key: string
}

/** A CA and a leaf for `name` (and 127.0.0.1) signed by it. */
export const makeCerts = (name = 'localhost'): TestCerts => {
  const dir = mkdtempSync(join(tmpdir(), 'smtpure-certs-'))
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  writeFileSync(
    join(dir, 'leaf.ext'),
    `subjectAltName=DNS:${name},IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`,
  )
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=smtpure test CA',
  )
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'leaf.csr', '-subj', `/CN=${name}`)
  run(
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-out',
    'cert.pem',
    '-days',
    '2',
    '-extfile',
    'leaf.ext',
  )
  const read = (f: string) => readFileSync(join(dir, f), 'utf8')
  return { dir, ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') }
}

export interface ClientCert {
  readonly cert: string
  readonly key: string
  /** The certificate, DER. */
  readonly der: Uint8Array
  /** SHA-256 of the DER as openssl prints it (upper-case hex octets joined by `:`). */
  readonly fingerprint256: string
  /** Files for clients that take paths (Python's ssl). */
  readonly certFile: string
  readonly keyFile: string
}

/** A client certificate for `/CN=name` (extendedKeyUsage clientAuth), signed by the CA of `certs`. */
export const makeClientCert = (certs: TestCerts, name: string): ClientCert => {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: certs.dir, stdio: 'pipe' })
  const base = `client-${name}`
  writeFileSync(
    join(certs.dir, `${base}.ext`),
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n',
  )
  run(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${base}-key.pem`,
    '-out',
    `${base}.csr`,
    '-subj',
    `/CN=${name}`,
  )
  run(
    'x509',
    '-req',
    '-in',
    `${base}.csr`,
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-out',
    `${base}.pem`,
    '-days',
    '2',
    '-extfile',
    `${base}.ext`,
  )
  const der = new Uint8Array(run('x509', '-in', `${base}.pem`, '-outform', 'der'))
  const printed = run('x509', '-in', `${base}.pem`, '-noout', '-fingerprint', '-sha256').toString()
  const read = (f: string) => readFileSync(join(certs.dir, f), 'utf8')
  return {
    cert: read(`${base}.pem`),
    key: read(`${base}-key.pem`),
    der,
    fingerprint256: printed.trim().split('=')[1]!,
    certFile: join(certs.dir, `${base}.pem`),
    keyFile: join(certs.dir, `${base}-key.pem`),
  }
}
