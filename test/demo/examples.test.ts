/*
 * The examples run as documented: examples/lab.sh in each mode (ovs-testcontroller, ofdp's own
 * learning controller, the static flows of examples/flows.txt) builds its two namespaces, starts
 * `ofdp run --config examples/config.json`, pings both ways, dumps the flows and removes everything.
 * Needs root; the modes run one after another (the lab's names are fixed).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ofdp-run.js';

const LAB = join(import.meta.dirname, '../../examples/lab.sh');
const has = (t: string) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0;
const missing =
  process.getuid?.() !== 0 ? 'not root' : ['ip', 'ping', 'ovs-ofctl', 'ss'].find((t) => !has(t));
if (missing)
  console.warn(
    `SKIPPING examples/lab.sh tests: ${missing === 'not root' ? missing : `${missing} is not installed`}`,
  );
const noTestController = !has('ovs-testcontroller');
if (noTestController)
  console.warn('SKIPPING examples/lab.sh testcontroller: ovs-testcontroller is not installed');

const rundir = mkdtempSync(join(tmpdir(), 'ofdp-examples-'));
afterAll(() => rmSync(rundir, { recursive: true, force: true }));

async function lab(mode: string) {
  const r = spawnSync('bash', [LAB, mode], {
    encoding: 'utf8',
    env: { ...process.env, CTL_PORT: String(await freePort()), OFDP_RUNDIR: rundir },
    timeout: 60_000,
  });
  const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.match(/ofdp-ex-h\d/g) ?? [];
  return { ...r, left };
}

describe.skipIf(missing !== undefined)('examples/lab.sh', () => {
  it.skipIf(noTestController)('testcontroller: ovs-testcontroller drives ofdp run, pings pass', async () => {
    const r = await lab('testcontroller');
    expect(r.stdout.match(/3 packets transmitted, 3 received/g), r.stdout + r.stderr).toHaveLength(2);
    expect(r.stdout).toMatch(/idle_timeout=60, priority=1,icmp,in_port=1,/);
    expect(r.status).toBe(0);
    expect(r.left).toEqual([]);
  });

  it('embedded: ofdp demo --controller-only drives ofdp run, pings pass', async () => {
    const r = await lab('embedded');
    expect(r.stdout.match(/3 packets transmitted, 3 received/g), r.stdout + r.stderr).toHaveLength(2);
    expect(r.stdout).toMatch(/learn {2}[0-9a-f:]{17} is on port 1\(ofdp-ex1\)/);
    expect(r.stdout).toMatch(/idle_timeout=60, icmp,in_port=1,/);
    expect(r.status).toBe(0);
    expect(r.left).toEqual([]);
  });

  it('flows: examples/flows.txt through ovs-ofctl add-flows, pings pass', async () => {
    const r = await lab('flows');
    expect(r.stdout.match(/3 packets transmitted, 3 received/g), r.stdout + r.stderr).toHaveLength(2);
    expect(r.stdout).toMatch(
      /n_packets=6, n_bytes=588, priority=110,icmp,in_port=1,nw_src=10\.0\.0\.1,nw_dst=10\.0\.0\.2 actions=output:2/,
    );
    expect(r.stdout).toContain('priority=0 actions=drop');
    expect(r.status).toBe(0);
    expect(r.left).toEqual([]);
  });
});
