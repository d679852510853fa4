/*
 * ssl: and pssl: with certificates made in the test by the openssl CLI (a CA, and a switch
 * certificate it signed; a second CA for a peer that must be refused). Both ends authenticate, as
 * Open vSwitch does; ovs-ofctl with -p/-c/-C probes the listener.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { ConnectionManager, TargetError, type SslOptions } from '../../src/connmgr/index.js';
import { managersPerTest, run, waitFor } from './helpers.js';
import { haveOpenssl, makePki } from '../support/pki.js';

const OFCTL = '/usr/bin/ovs-ofctl';
if (!haveOpenssl)
  console.warn('SKIPPING ssl tests: /usr/bin/openssl is not installed (node cannot make certificates)');

const { dir, manager: newManager } = managersPerTest();

const makeTestPki = async (name: string): Promise<SslOptions> => makePki(dir, name);

describe.skipIf(!haveOpenssl)('ssl', () => {
  let pki: SslOptions;
  let other: SslOptions;
  beforeAll(async () => {
    pki = await makeTestPki('good');
    other = await makeTestPki('other');
  });

  function manager(ssl: SslOptions | undefined): ConnectionManager {
    return newManager({ ssl, backoff: { minMs: 20, maxMs: 80 } });
  }

  it('an ssl: controller connection to a pssl: listener negotiates on both ends', async () => {
    const sw = manager(pki);
    const l = await sw.listen('pssl:0');
    const port = (l.address as { port: number }).port;
    expect(l.name).toBe(`pssl:${port}:127.0.0.1`);
    const ctl = manager(pki);
    const serviceUp = waitFor(sw, 'up');
    const primaryUp = waitFor(ctl, 'up');
    ctl.addController(`ssl:127.0.0.1:${port}`);
    const [[service], [primary]] = await Promise.all([serviceUp, primaryUp]);
    expect(service.role).toBe('service');
    expect(primary.role).toBe('primary');
    expect(primary.target).toBe(`ssl:127.0.0.1:${port}`);
  });

  it.skipIf(!existsSync(OFCTL))(
    'ovs-ofctl probes a pssl: listener with its key, certificate and CA',
    async () => {
      const sw = manager(pki);
      const port = ((await sw.listen('pssl:0')).address as { port: number }).port;
      const r = await run(OFCTL, [
        '-t',
        '10',
        '-p',
        pki.privateKey,
        '-c',
        pki.certificate,
        '-C',
        pki.caCert,
        'probe',
        `ssl:127.0.0.1:${port}`,
      ]);
      expect(r).toMatchObject({ code: 0 });
    },
  );

  it('refuses a peer whose certificate another CA signed', async () => {
    const sw = manager(pki);
    const port = ((await sw.listen('pssl:0')).address as { port: number }).port;
    let ups = 0;
    sw.on('up', () => ups++);
    const s = tlsConnect({
      host: '127.0.0.1',
      port,
      key: readFileSync(other.privateKey),
      cert: readFileSync(other.certificate),
      ca: readFileSync(pki.caCert),
      checkServerIdentity: () => undefined,
    });
    s.on('error', () => {});
    await once(s, 'close');
    expect(ups).toBe(0);
  });

  it('without key files, ssl targets are refused up front with one clear line', async () => {
    const m = manager(undefined);
    expect(() => m.addController('ssl:127.0.0.1:6653')).toThrow(TargetError);
    expect(() => m.addController('ssl:127.0.0.1:6653')).toThrow(
      /needs --private-key, --certificate and --ca-cert/,
    );
    await expect(m.listen('pssl:0')).rejects.toThrow(/needs --private-key/);
    const bad = manager({ ...pki, caCert: join(dir, 'missing.pem') });
    expect(() => bad.addController('ssl:127.0.0.1')).toThrow(/cannot read CA certificate ".*missing.pem"/);
  });
});
