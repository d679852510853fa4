/*
 * `ofdp run` as users run it: the compiled CLI (built by `npm test` before vitest) with dummy ports,
 * driven by the real ovs-ofctl over the .mgmt socket and a ptcp: listener.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OFDP_BIN, OfdpProcess, freePort } from '../support/ofdp-run.js';
import { haveOpenssl, makePki } from '../support/pki.js';

const haveOfctl = spawnSync('ovs-ofctl', ['--version']).status === 0;
if (!haveOfctl)
  console.warn('*** SKIPPING ofdp run tests: ovs-ofctl is not installed (scripts/install-test-deps.sh) ***');

function ofdp(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync('node', [OFDP_BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 20_000,
  });
}

function ofctl(...args: string[]) {
  return spawnSync('ovs-ofctl', ['-O', 'OpenFlow10', '-t', '10', ...args], { encoding: 'utf8' });
}

describe('ofdp run: bad flags and config', () => {
  const base = mkdtempSync(join(tmpdir(), 'ofdp-cli-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  let n = 0;
  const rundir = (): string => mkdtempSync(join(base, `r${n++}-`));

  it.each([
    [['run', '--port', 'bogus:x'], /unknown type "bogus"/],
    [['run', '--port', 'dummy:a=70000'], /port number 70000/],
    [['run', '--dpid', 'xyz'], /bad dpid "xyz"/],
    [['run', '--fail-mode', 'open'], /bad fail mode "open"/],
    [['run', '--controller', 'tcp:'], /controller|target|tcp:/],
    [['run', '--listen', 'ptcp:99999'], /99999/],
    [['run', '--config', '/nonexistent/ofdp.json'], /cannot read config/],
    [['run', '--frobnicate'], /Unknown argument/],
    [['run', '--private-key', '/x.pem'], /SSL needs all three/],
    [['run', '--listen', 'pssl:0'], /needs --private-key, --certificate and --ca-cert/],
    [['run', '--busy-poll', '-5'], /bad busy-poll -5: microseconds from 0/],
    [['run', '--busy-poll', 'soon'], /bad busy-poll NaN/],
    [['run', '--busy-poll', '20000'], /bad busy-poll 20000/],
    [['run', '--rundir', '/tmp', '--rundir', '/var/tmp'], /--rundir given more than once/],
    [['run', '--bridge', 'a', '--bridge', 'b'], /--bridge given more than once/],
    [['run', '--port'], /Not enough arguments following: port/],
    [['run', '--port', 'dummy:a', '--port', 'dummy:a'], /port dummy:a is given twice/],
    [['run', '--port', 'tap:x0', '--port', 'system:x0'], /port system:x0 is given twice/],
    [['run', '--port', 'dummy:a=3', '--port', 'dummy:b=3'], /port number 3 is given twice/],
  ])('%j gives one error line and exit code 2', (args, pattern) => {
    const r = ofdp(args as string[], { OFDP_RUNDIR: rundir() });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(lines[0]).toMatch(/^ofdp: /);
  });

  it('names the key that is wrong in a config file', () => {
    const dir = rundir();
    const f = join(dir, 'c.json');
    writeFileSync(f, JSON.stringify({ ports: 'dummy:a' }));
    const r = ofdp(['run', '--config', f], { OFDP_RUNDIR: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/"ports" must be a list of strings/);
    writeFileSync(f, JSON.stringify({ failmode: 'secure' }));
    expect(ofdp(['run', '--config', f], { OFDP_RUNDIR: dir }).stderr).toMatch(
      /c\.json: unknown key "failmode"/,
    );
    writeFileSync(f, JSON.stringify({ ports: ['dummy:a'], queues: { '7': [{ id: 1 }] } }));
    expect(ofdp(['run', '--config', f], { OFDP_RUNDIR: dir }).stderr).toMatch(
      /queues given for port 7, which is not configured/,
    );
    writeFileSync(f, JSON.stringify({ busyPollUs: '50' }));
    const r2 = ofdp(['run', '--config', f], { OFDP_RUNDIR: dir });
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/bad busy-poll 50:/);
    rmSync(dir, { recursive: true });
  });
});

describe.skipIf(!haveOfctl)('ofdp run with ovs-ofctl', () => {
  let sw: OfdpProcess;
  let port: number;
  let mgmt: string;
  let tcp: string;

  beforeAll(async () => {
    port = await freePort();
    sw = await OfdpProcess.start({
      bridge: 'brt',
      dpid: '0xabc',
      ports: ['dummy:d1', 'dummy:d2=5'],
      listen: [`ptcp:${port}`],
      failMode: 'secure',
    });
    mgmt = sw.mgmt;
    tcp = `tcp:127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await sw?.stop();
  });

  it('answers ovs-ofctl show on the .mgmt socket with its ports and dpid', () => {
    const r = ofctl('show', mgmt);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('dpid:0000000000000abc');
    expect(r.stdout).toContain('n_tables:1, n_buffers:256');
    expect(r.stdout).toMatch(/^ 1\(d1\): addr:/m);
    expect(r.stdout).toMatch(/^ 5\(d2\): addr:/m);
  });

  it('installs, lists and deletes flows over ptcp', () => {
    expect(
      ofctl('add-flow', tcp, 'priority=300,tcp,nw_src=10.0.0.0/24,tp_dst=80 actions=mod_tp_dst:8080,output:5')
        .status,
    ).toBe(0);
    const dump = ofctl('dump-flows', tcp);
    expect(dump.stdout).toMatch(
      /priority=300,tcp,nw_src=10\.0\.0\.0\/24,tp_dst=80 actions=mod_tp_dst:8080,output:5/,
    );
    expect(ofctl('dump-aggregate', tcp).stdout).toMatch(/flow_count=1/);
    expect(ofctl('del-flows', tcp).status).toBe(0);
    expect(ofctl('dump-aggregate', tcp).stdout).toMatch(/flow_count=0/);
  });

  it('reports an overlap error to ovs-ofctl before the barrier reply', () => {
    expect(ofctl('add-flow', tcp, 'priority=7,ip actions=drop').status).toBe(0);
    const r = ofctl('add-flow', tcp, 'priority=7,ip,nw_src=1.2.3.4 check_overlap actions=drop');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('OFPFMFC_OVERLAP');
    ofctl('del-flows', tcp);
  });

  it('answers probe, ping, dump-desc, dump-tables, dump-ports-desc and queue-stats', () => {
    expect(ofctl('probe', tcp).status).toBe(0);
    expect(ofctl('ping', tcp, '16').stdout).toMatch(/16 bytes from/);
    expect(ofctl('dump-desc', tcp).stdout).toMatch(/DP Description: brt/);
    expect(ofctl('dump-tables', tcp).stdout).toMatch(/table 0/);
    expect(ofctl('dump-ports-desc', tcp).stdout).toMatch(/5\(d2\)/);
    expect(ofctl('queue-stats', tcp).status).toBe(0);
  });

  it('numbers unnumbered ports around the requested ones', async () => {
    const other = await OfdpProcess.start({ bridge: 'brn', ports: ['dummy:n1', 'dummy:n2=1', 'dummy:n3'] });
    try {
      const r = ofctl('show', other.mgmt);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^ 1\(n2\): addr:/m);
      expect(r.stdout).toMatch(/^ 2\(n1\): addr:/m);
      expect(r.stdout).toMatch(/^ 3\(n3\): addr:/m);
    } finally {
      await other.stop();
    }
  });

  it('refuses to start the same bridge again over its live .mgmt socket, which keeps working', () => {
    const r = ofdp(['run', '--bridge', 'brt', '--no-local', '--port', 'dummy:x'], { OFDP_RUNDIR: sw.rundir });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^ofdp: cannot listen on punix:.*brt\.mgmt: .*already running/m);
    expect(ofctl('show', mgmt).status).toBe(0);
  });

  it('stops cleanly on SIGTERM and removes its .mgmt socket', async () => {
    // The rundir stays until afterAll, so the socket's absence is ofdp's doing.
    const code = await sw.stop(true);
    expect(code).toBe(0);
    expect(ofctl('show', mgmt).status).not.toBe(0);
  });
});

describe.skipIf(!haveOfctl || !haveOpenssl)('ofdp run over SSL', () => {
  it('serves ovs-ofctl on pssl: with the given certificates and refuses a peer without one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ofdp-ssl-'));
    const pki = makePki(dir, 'sw');
    const port = await freePort();
    const sw = await OfdpProcess.start({
      bridge: 'brs',
      ports: ['dummy:s1'],
      listen: [`pssl:${port}`],
      ssl: pki,
      rundir: dir,
    });
    try {
      const ssl = ['-p', pki.privateKey, '-c', pki.certificate, '-C', pki.caCert];
      const show = ofctl(...ssl, 'show', `ssl:127.0.0.1:${port}`);
      expect(show.status).toBe(0);
      expect(show.stdout).toMatch(/^ 1\(s1\): addr:/m);
      const other = makePki(dir, 'other');
      const refused = ofctl(
        '-p',
        other.privateKey,
        '-c',
        other.certificate,
        '-C',
        other.caCert,
        'show',
        `ssl:127.0.0.1:${port}`,
      );
      expect(refused.status).not.toBe(0);
    } finally {
      await sw.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
