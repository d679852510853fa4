/*
 * os-ken as the controller: osken-manager (no apps, so its OFP_VERSIONS allow every version) sends
 * an 8-byte HELLO with version 6 and no bitmap, in both directions. Our side must settle on 1.0
 * and receive os-ken's FEATURES_REQUEST.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { ConnectionManager } from '../../src/connmgr/index.js';
import { OFPT } from '../../src/openflow/constants.js';
import { freePort, start, waitFor } from './helpers.js';

const OSKEN = '/usr/bin/osken-manager';
const haveOsken = existsSync(OSKEN);
if (!haveOsken) console.warn('SKIPPING os-ken tests: /usr/bin/osken-manager is not installed');

describe.skipIf(!haveOsken)('os-ken', () => {
  it('our controller connection to osken-manager negotiates 1.0 from its v6 HELLO', async () => {
    const port = await freePort();
    const osken = start(OSKEN, ['--ofp-listen-host', '127.0.0.1', '--ofp-tcp-listen-port', String(port)]);
    const mgr = new ConnectionManager({ backoff: { minMs: 50, maxMs: 200 } });
    try {
      // os-ken takes a moment to start listening; the reconnect backoff covers that.
      const features = waitFor(mgr, 'message', (_c, m) => m.type === OFPT.FEATURES_REQUEST);
      mgr.addController(`tcp:127.0.0.1:${port}`);
      const [conn] = await osken.unlessExited(features);
      expect(conn.channel.peerVersions).toEqual({ version: 6, bitmap: undefined });
      expect(conn.role).toBe('primary');
    } finally {
      await mgr.close();
      await osken.stop();
    }
  });

  it('osken-manager dialling our listener (--ofp-switch-address-list) negotiates 1.0', async () => {
    const mgr = new ConnectionManager();
    const l = await mgr.listen('ptcp:0');
    const port = (l.address as { port: number }).port;
    const features = waitFor(mgr, 'message', (_c, m) => m.type === OFPT.FEATURES_REQUEST);
    const osken = start(OSKEN, [
      '--ofp-listen-host',
      '127.0.0.1',
      '--ofp-tcp-listen-port',
      String(await freePort()),
      '--ofp-switch-address-list',
      `127.0.0.1:${port}`,
    ]);
    try {
      const [conn] = await osken.unlessExited(features);
      expect(conn.channel.peerVersions!.version).toBe(6);
      expect(conn.role).toBe('service');
    } finally {
      await mgr.close();
      await osken.stop();
    }
  });
});
