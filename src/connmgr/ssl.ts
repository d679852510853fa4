/*
 * SSL settings, as Open vSwitch's --private-key, --certificate and --ca-cert.
 *
 * Like OVS, both ends authenticate: the peer must present a certificate signed by the CA, whether
 * we dialled it (ssl:) or accepted it (pssl:). Host names are not checked (targets are IP
 * addresses; OVS does not check them either). Files are read when a context is built, so a bad
 * path is one clear error at start-up rather than a failure on every reconnect.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import { TargetError } from './target.js';

export interface SslOptions {
  /** PEM private key file (--private-key). */
  privateKey: string;
  /** PEM certificate file for that key (--certificate). */
  certificate: string;
  /** PEM CA certificate that peers' certificates must chain to (--ca-cert). */
  caCert: string;
}

interface SslMaterial {
  key: Buffer;
  cert: Buffer;
  ca: Buffer;
}

export function loadSslMaterial(ssl: SslOptions | undefined, target: string): SslMaterial {
  if (!ssl) throw new TargetError(`${target} needs --private-key, --certificate and --ca-cert`);
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new TargetError(`cannot read ${what} "${path}": ${(err as Error).message}`);
    }
  };
  return {
    key: read('private key', ssl.privateKey),
    cert: read('certificate', ssl.certificate),
    ca: read('CA certificate', ssl.caCert),
  };
}

export function clientTlsOptions(m: SslMaterial): ConnectionOptions {
  return {
    key: m.key,
    cert: m.cert,
    ca: m.ca,
    rejectUnauthorized: true,
    checkServerIdentity: () => undefined,
  };
}

export function serverTlsOptions(m: SslMaterial): TlsOptions {
  return { key: m.key, cert: m.cert, ca: m.ca, requestCert: true, rejectUnauthorized: true };
}
