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
