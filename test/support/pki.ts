/*
 * Test certificates: a CA and a certificate it signed, as PEM files, made with the openssl CLI (Node
 * cannot create certificates). openssl is installed by scripts/install-test-deps.sh.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SslOptions } from '../../src/connmgr/index.js';

export const OPENSSL = '/usr/bin/openssl';
export const haveOpenssl = existsSync(OPENSSL);

function openssl(...args: string[]): void {
  const r = spawnSync(OPENSSL, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A CA and a certificate it signed, as PEM files `<dir>/<name>-*.pem`. */
export function makePki(dir: string, name: string): SslOptions {
  const p = (f: string): string => join(dir, `${name}-${f}`);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.pem'),
    '-days',
    '1',
    '-subj',
    `/CN=${name}-ca`,
  );
  openssl('req', ...ec, '-keyout', p('key.pem'), '-out', p('req.pem'), '-subj', `/CN=${name}-switch`);
  openssl(
    'x509',
    '-req',
    '-in',
    p('req.pem'),
    '-CA',
    p('ca.pem'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-out',
    p('cert.pem'),
    '-days',
    '1',
  );
  return { privateKey: p('key.pem'), certificate: p('cert.pem'), caCert: p('ca.pem') };
}
