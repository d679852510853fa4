/*
 * `ofdp demo` end to end, as a newcomer runs it (the built CLI in a child process):
 * - as root: the real lab (namespaces, veths, LOCAL) — exit 0, every ping answered, nothing left
 *   behind, also when stopped with SIGINT while it keeps the lab up, and a crashed demo's leftovers
 *   removed by the next one;
 * - the simulated fallback, forced by OFDP_DEMO_FORCE_DUMMY=1 and as a really unprivileged user.
 * Uses bin/ofdp.js, which runs dist/ (`npm test` builds first).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoNames } from '../../src/demo/names.js';
import { OFDP_BIN, freePort } from '../support/ofdp-run.js';
import { listeningTestcontroller } from '../support/testcontroller.js';

const isRoot = process.getuid?.() === 0;
const havePing = spawnSync('sh', ['-c', 'command -v ping && command -v ip']).status === 0;
const haveTestController = spawnSync('sh', ['-c', 'command -v ovs-testcontroller']).status === 0;
if (!haveTestController)
  console.warn('SKIPPING ofdp demo --controller with ovs-testcontroller: not installed');
const haveSetpriv = spawnSync('sh', ['-c', 'command -v setpriv']).status === 0;
const realLab = isRoot && havePing;
if (!realLab)
  console.warn(
    `SKIPPING the real-lab tests of ofdp demo: ${isRoot ? 'ping or ip is not installed (scripts/install-test-deps.sh)' : 'not running as root'}`,
  );
if (!isRoot || !haveSetpriv)
  console.warn(
    'SKIPPING the unprivileged-user test of ofdp demo: needs root (to drop to nobody) and setpriv',
  );

const rundirs: string[] = [];
function rundir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ofdp-demo-test-'));
  rundirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of rundirs) rmSync(d, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
}

/**
 * Runs the CLI; `until` (optional) is called on each stdout chunk with the output so far and may
 * signal the child.
 */
function ofdp(
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { prefix?: string[]; until?: (out: string, child: ReturnType<typeof spawn>) => void } = {},
): Promise<Run> {
  const [cmd, ...pre] = opts.prefix ?? ['node'];
  const child = spawn(cmd!, [...pre, ...(opts.prefix ? ['node'] : []), OFDP_BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    opts.until?.(stdout, child);
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ofdp ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, 40_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, pid: child.pid! });
    });
  });
}

/**
 * Runs `ofdp demo ARGS` in rundir `dir` and sends it `signal` once its output contains `cue`
 * (`atCue` runs just before, with the lab still up); `signalled` says whether the cue came.
 */
async function demoSignalled(
  args: string[],
  dir: string,
  cue: string,
  signal: NodeJS.Signals,
  atCue: (child: ReturnType<typeof spawn>) => void = () => undefined,
): Promise<Run & { signalled: boolean }> {
  let signalled = false;
  const r = await ofdp(
    ['demo', ...args],
    { OFDP_RUNDIR: dir },
    {
      until: (out, child) => {
        if (signalled || !out.includes(cue)) return;
        signalled = true;
        atCue(child);
        child.kill(signal);
      },
    },
  );
  return { ...r, signalled };
}

function leftovers(pid: number, dir: string): string[] {
  const n = demoNames(pid);
  const left: string[] = [];
  const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  for (let i = 1; i <= 4; i++) {
    if (ns.includes(n.netns(i))) left.push(n.netns(i));
    if (existsSync(`/sys/class/net/${n.port(i)}`)) left.push(n.port(i));
  }
  if (existsSync(`/sys/class/net/${n.bridge}`)) left.push(n.bridge);
  left.push(...readdirSync(dir).filter((f) => f.startsWith('ofdp-demo')));
  return left;
}

function expectAllAnswered(out: string, pings: number): void {
  expect(out.match(/: 3\/3 replies, rtt min\/avg\/max/g)?.length).toBe(pings);
  expect(out).toContain('Result: every ping was answered');
  expect(out).not.toContain('LOST');
  // The controller's part of the story: floods, learnt MACs, exact-match flows as dump-flows prints them.
  expect(out).toMatch(/flood {2}packet-in on port 1\(.*\): 02:0d:00:00:00:01 > ff:ff:ff:ff:ff:ff/);
  expect(out).toMatch(/learn {2}02:0d:00:00:00:02 is on port 2/);
  expect(out).toMatch(
    / cookie=0x0, duration=[\d.]+s, table=0, n_packets=3, n_bytes=\d+, idle_timeout=60, icmp,in_port=1,/,
  );
}

describe('ofdp demo', () => {
  it.runIf(realLab)(
    'builds the real lab as root, pings succeed, exits 0 and leaves nothing behind',
    async () => {
      const dir = rundir();
      // Leftovers of a "crashed" demo: a pid that has exited, a namespace and an interface in its name.
      const dead = spawnSync('true').pid!;
      const stale = demoNames(dead);
      spawnSync('ip', ['netns', 'add', stale.netns(1)]);
      spawnSync('ip', ['link', 'add', stale.port(2), 'type', 'veth', 'peer', 'name', stale.port(3)]);
      expect(existsSync(`/sys/class/net/${stale.port(2)}`)).toBe(true);
      try {
        const r = await ofdp(['demo', '--once'], { OFDP_RUNDIR: dir });
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout).toContain('a real lab of network namespaces');
        expect(r.stdout).toContain('port LOCAL');
        expectAllAnswered(r.stdout, 3);
        expect(r.stdout).toContain(`removed a stale demo's netns ${stale.netns(1)}`);
        expect(r.stdout).toMatch(
          new RegExp(`removed a stale demo's interface ${stale.port(2).slice(0, -1)}[23]\n`),
        );
        expect(leftovers(r.pid, dir)).toEqual([]);
        expect(leftovers(dead, dir)).toEqual([]);
      } finally {
        spawnSync('ip', ['netns', 'del', stale.netns(1)]);
        spawnSync('ip', ['link', 'del', stale.port(2)]);
      }
    },
  );

  it.runIf(realLab)('keeps the lab up until SIGINT, then removes it and exits 0', async () => {
    const dir = rundir();
    let upWhileRunning: string[] = [];
    const r = await demoSignalled(
      ['--no-once', '--hosts', '2', '--count', '1'],
      dir,
      'New controller decisions are printed',
      'SIGINT',
      (child) => (upWhileRunning = leftovers(child.pid!, dir)),
    );
    expect(r.signalled).toBe(true);
    const n = demoNames(r.pid);
    expect(upWhileRunning).toEqual(
      expect.arrayContaining([n.netns(1), n.netns(2), n.port(1), n.port(2), n.bridge]),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('removed the lab');
    expect(leftovers(r.pid, dir)).toEqual([]);
  });

  it.runIf(realLab)('stops the pings on SIGTERM, removes the lab and exits 143', async () => {
    const dir = rundir();
    const t0 = Date.now();
    const r = await demoSignalled(['--once', '--hosts', '2', '--count', '100'], dir, 'Pings (', 'SIGTERM');
    expect(r.signalled).toBe(true);
    expect(r.code).toBe(143);
    expect(Date.now() - t0).toBeLessThan(15_000); // 100 pings would take 20 s
    expect(r.stdout).toContain('SIGTERM: stopping');
    expect(r.stdout).toContain('removed the lab');
    expect(leftovers(r.pid, dir)).toEqual([]);
  });

  it.runIf(realLab && haveTestController)(
    'runs with ovs-testcontroller instead of the embedded controller',
    async () => {
      const dir = rundir();
      const port = await freePort();
      // Its control socket goes to the rundir too, which must hold no ofdp-demo file afterwards.
      const tc = await listeningTestcontroller(port, dir);
      try {
        const r = await ofdp(['demo', '--once', '--hosts', '2', '--controller', `tcp:127.0.0.1:${port}`], {
          OFDP_RUNDIR: dir,
        });
        expect(r.code).toBe(0);
        expect(r.stdout.match(/: 3\/3 replies/g)).toHaveLength(2);
        expect(r.stdout).toContain(
          `Result: every ping was answered, through the flows of tcp:127.0.0.1:${port}.`,
        );
        // ovs-testcontroller's flows: exact matches at priority 1 on the wire.
        expect(r.stdout).toMatch(/idle_timeout=60, priority=1,icmp,in_port=1,/);
        expect(leftovers(r.pid, dir)).toEqual([]);
      } finally {
        await tc.stop();
      }
    },
  );

  it('falls back to simulated hosts on dummy ports when OFDP_DEMO_FORCE_DUMMY=1', async () => {
    const dir = rundir();
    const r = await ofdp(['demo', '--once'], { OFDP_DEMO_FORCE_DUMMY: '1', OFDP_RUNDIR: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ofdp demo (SIMULATED): OFDP_DEMO_FORCE_DUMMY is set.');
    expect(r.stdout).toContain('(dummy) <-> h1: simulated host');
    expectAllAnswered(r.stdout, 3);
    expect(readdirSync(dir)).toEqual([]); // the .mgmt socket is gone
  });

  it.runIf(isRoot && haveSetpriv)(
    'falls back to simulated hosts as an unprivileged user (nobody)',
    async () => {
      const r = await ofdp(
        ['demo', '--once', '--hosts', '2'],
        { OFDP_RUNDIR: '' },
        {
          prefix: [
            'setpriv',
            '--reuid=nobody',
            '--regid=nogroup',
            '--clear-groups',
            'env',
            '-u',
            'OFDP_RUNDIR',
          ],
        },
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/SIMULATED\): not running as root: missing CAP_NET_ADMIN/);
      expectAllAnswered(r.stdout, 2);
    },
  );

  it('refuses bad options with one line and exit code 2', async () => {
    const r = await ofdp(['demo', '--hosts', '9'], { OFDP_DEMO_FORCE_DUMMY: '1' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('ofdp: --hosts must be 2, 3 or 4 (got 9)');
  });
});
