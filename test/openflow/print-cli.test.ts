/*
 * Smoke test of `ofdp ofctl ofp-print` through the real launcher (bin/ofdp.js runs the compiled CLI
 * in dist/, which `npm test` builds first; this file builds it when it is missing), plus the hex
 * syntax ovs-ofctl accepts, checked in-process.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseOfctlHex } from '../../src/cli/commands/ofctl/ofp-print.js';

const ROOT = join(import.meta.dirname, '../..');

describe('ofdp ofctl ofp-print', () => {
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist/src/cli/main.js')))
      execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' });
  }, 120_000);

  it('prints a message given as spaced hex, and a capture, through bin/ofdp.js', () => {
    const out = execFileSync('node', ['bin/ofdp.js', 'ofctl', 'ofp-print', '01 00 00 08 00 00 00 01'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(out).toBe('OFPT_HELLO (xid=0x1):\n version bitmap: 0x01\n');
    const bad = spawnSync('node', ['bin/ofdp.js', 'ofctl', 'ofp-print', '0100000 800000001'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('trailing garbage following hex bytes');
    const pcap = execFileSync(
      'node',
      [
        'bin/ofdp.js',
        'ofctl',
        'ofp-print',
        '--pcap',
        'test/data/captures/testcontroller-ptcp-with-stub-buffered.pcap',
        '26634',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(pcap.startsWith('127.0.0.1.')).toBe(true);
    expect(pcap).toContain('OFPT_PACKET_IN (xid=0x0): total_len=');
  });

  it('reads hex as ovs-ofctl does', () => {
    expect(parseOfctlHex('0100\n0008 00000001')?.toString('hex')).toBe('0100000800000001');
    expect(parseOfctlHex(' 01\t02 ')?.toString('hex')).toBe('0102');
    expect(parseOfctlHex('')?.length).toBe(0);
    expect(parseOfctlHex('012')).toBeUndefined();
    expect(parseOfctlHex('0x01')).toBeUndefined();
    expect(parseOfctlHex('0 1')).toBeUndefined();
  });
});
