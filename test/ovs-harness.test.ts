/*
 * The reference switch harness (test/support/ovs) works: a private Open vSwitch with a netdev
 * bridge answers ovs-ofctl over its ptcp listener and its mgmt socket, forwards between veth
 * ports, runs beside another harness without collision, and leaves nothing behind — after
 * stop(), after its owner exits without stop(), after its owner is SIGKILLed, and (via the stale
 * sweep) after owner and guardian are both SIGKILLed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topology, linkExists, trySh, type Host } from './support/netns.js';
import {
  cleanStale,
  netnsOf,
  normalizeOfctl,
  showPlaceholders,
  showPorts,
  processStartTime,
  ovsUnavailableReason,
  runTool,
  runsFrom,
  startOvs,
  waitFor,
  type OvsBridge,
  type OvsHandle,
} from './support/ovs/index.js';

const skip = ovsUnavailableReason();
if (skip) console.warn(`\n*** SKIPPING OVS harness tests: ${skip} ***\n`);

function netnsExists(name: string): boolean {
  return (trySh('ip netns list') ?? '').split('\n').some((l) => l.split(' ')[0] === name);
}

/**
 * Everything a stopped harness must have released. `orphans`: the daemons' parent died, so they
 * were re-parented to pid 1, which may reap them late; a zombie has released everything, so it
 * counts as gone. Otherwise the pids must have vanished from /proc (our own stop() reaps them).
 */
function released(
  h: { dir: string; netns: string; pids: { ovsdbServer: number; vswitchd: number } },
  orphans = false,
): boolean {
  const gone = (pid: number) =>
    !existsSync(`/proc/${pid}`) || (orphans && processStartTime(pid) === undefined);
  return gone(h.pids.vswitchd) && gone(h.pids.ovsdbServer) && !existsSync(h.dir) && !netnsExists(h.netns);
}

describe.skipIf(skip)('OVS harness: one bridge with two veth ports', () => {
  const topo = new Topology();
  let ovs: OvsHandle;
  let br: OvsBridge;
  let h1: Host;
  let h2: Host;

  beforeAll(async () => {
    h1 = topo.host('10.77.0.1/24');
    h2 = topo.host('10.77.0.2/24');
    ovs = await startOvs();
    br = await ovs.addBridge('pcbr', { dpid: 0x42n, hwaddr: '02:00:00:00:00:42' });
    expect(await ovs.addPort(br, h1.port, 1)).toBe(1);
    expect(await ovs.addPort(br, h2.port, 2)).toBe(2);
  });

  afterAll(async () => {
    await ovs?.stop();
    topo.cleanup();
  });

  it('runs ovs-vswitchd in its own network namespace and the database in ours', () => {
    expect(netnsOf(ovs.pids.vswitchd)).not.toBe(netnsOf(process.pid));
    expect(netnsOf(ovs.pids.ovsdbServer)).toBe(netnsOf(process.pid));
    expect(br.listen).toBe('ptcp:26653:127.0.0.1');
    // The bridge's tap and the datapath's exist in the harness namespace, not in ours.
    expect(trySh(`ip -n ${ovs.netns} link show pcbr`)).toBeDefined();
    expect(trySh(`ip -n ${ovs.netns} link show ovs-netdev`)).toBeDefined();
    expect(linkExists(h1.port)).toBe(false);
  });

  it('answers `show` over the ptcp target with both ports as 10GB-FD COPPER', async () => {
    const r = await br.ofctl('show');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OFPT_FEATURES_REPLY \(xid=0x2\): dpid:0000000000000042\n/);
    const ports = showPorts(r.stdout);
    expect(ports.get('1')?.name).toBe(h1.port);
    expect(ports.get('2')?.name).toBe(h2.port);
    expect(ports.get('LOCAL')?.name).toBe('pcbr');
    expect(ports.get('LOCAL')!.addr).toBe('02:00:00:00:00:42');
    for (const p of ['1', '2']) {
      expect(ports.get(p)!.lines).toContain('     current:    10GB-FD COPPER');
      expect(ports.get(p)!.lines).toContain('     speed: 10000 Mbps now, 0 Mbps max');
    }
    expect(r.stdout).toContain('OFPT_GET_CONFIG_REPLY (xid=0x4): frags=normal miss_send_len=0');
  });

  it('gives the same `show` over the mgmt socket, from this namespace', async () => {
    const [tcp, unix] = await Promise.all([br.ofctl('show'), br.mgmt.ofctl('show')]);
    expect(unix.code).toBe(0);
    expect(unix.stdout).toBe(tcp.stdout);
  });

  it('round-trips add-flow and dump-flows (OpenFlow 1.0 flow format)', async () => {
    const add = await br.ofctl('add-flow', [
      'priority=300,udp,nw_src=10.0.0.0/24,tp_dst=53,actions=output:2',
    ]);
    expect(add).toMatchObject({ code: 0, stderr: '' });
    const dump = await br.ofctl('dump-flows', [], { flowFormat: 'OpenFlow10' });
    expect(dump.code).toBe(0);
    expect(normalizeOfctl(dump.stdout)).toBe(
      'OFPST_FLOW reply (xid=0x2):\n' +
        ' cookie=0x0, duration=<dur>s, table=0, n_packets=0, n_bytes=0, priority=300,udp,nw_src=10.0.0.0/24,tp_dst=53 actions=output:2\n',
    );
    const del = await br.ofctl('del-flows');
    expect(del.code).toBe(0);
    expect((await br.ofctl('dump-flows', [], { flowFormat: 'OpenFlow10' })).stdout).toBe(
      'OFPST_FLOW reply (xid=0x2):\n',
    );
  });

  it('takes add-flows on stdin (the flow-mod benchmark path)', async () => {
    const flows = Array.from(
      { length: 1000 },
      (_, i) => `priority=${i + 1},ip,nw_dst=10.1.${i >> 8}.${i & 255},actions=drop`,
    );
    const add = await br.ofctl('add-flows', ['-'], { input: flows.join('\n') + '\n' });
    expect(add).toMatchObject({ code: 0, stderr: '' });
    const agg = await br.ofctl('dump-aggregate', [], { flowFormat: 'OpenFlow10' });
    expect(agg.stdout).toBe('OFPST_AGGREGATE reply (xid=0x2): packet_count=0 byte_count=0 flow_count=1000\n');
    console.log(`ovs harness: add-flows of 1000 flows took ${add.ms.toFixed(0)} ms`);
    expect((await br.ofctl('del-flows')).code).toBe(0);
  });

  it('reaches a controller in this namespace over a unix socket', async () => {
    const path = join(ovs.dir, 'ctl-test.sock');
    const server = createServer();
    const hello = new Promise<Buffer>((resolve) =>
      server.on('connection', (s) => s.once('data', (d: Buffer) => resolve(d))),
    );
    server.listen(path);
    await once(server, 'listening');
    try {
      await ovs.setControllers(br, [`unix:${path}`]);
      const h = await hello;
      expect(h.readUInt8(0)).toBe(1); // OpenFlow 1.0 (protocols=OpenFlow10)
      expect(h.readUInt8(1)).toBe(0); // OFPT_HELLO
      expect((await br.ofctl('show')).code).toBe(0); // the listener was kept
    } finally {
      await ovs.setControllers(br, []);
      server.close();
    }
    expect((await ovs.vsctl('get-controller', 'pcbr')).trim()).toBe(br.listen);
  });

  it('forwards between the veth ports with the flows it was given', async () => {
    // Spawned asynchronously: nothing here may block the event loop while OVS forwards.
    const ping = (count: number) =>
      runTool('ip', [
        'netns',
        'exec',
        h1.ns.name,
        'ping',
        '-c',
        String(count),
        '-i',
        '0.2',
        '-W',
        '0.5',
        h2.ip,
      ]);
    // fail_mode=secure and no flows: nothing gets through.
    expect((await ping(1)).stdout).toContain('1 packets transmitted, 0 received');
    for (const f of ['in_port=1,actions=output:2', 'in_port=2,actions=output:1']) {
      expect((await br.ofctl('add-flow', [f])).code).toBe(0);
    }
    expect((await ping(3)).stdout).toContain('3 packets transmitted, 3 received');
    const stats = await br.ofctl('dump-flows', [], { flowFormat: 'OpenFlow10' });
    expect(stats.stdout).toMatch(/n_packets=[1-9]\d*, .*in_port=1 actions=output:2/);
    expect((await br.ofctl('del-flows')).code).toBe(0);
  });

  it('moves ports back to this namespace on delPort', async () => {
    await ovs.delPort(br, h2.port);
    expect(linkExists(h2.port)).toBe(true);
    // As it was lent: up, IPv6 off (the move reset both).
    expect(parseInt(readFileSync(`/sys/class/net/${h2.port}/flags`, 'utf8'), 16) & 1).toBe(1);
    expect(readFileSync(`/proc/sys/net/ipv6/conf/${h2.port}/disable_ipv6`, 'utf8').trim()).toBe('1');
    const ports = showPorts((await br.ofctl('show')).stdout);
    expect([...ports.keys()].sort()).toEqual(['1', 'LOCAL']);
    expect(await ovs.addPort(br, h2.port, 2)).toBe(2);
  });
});

describe.skipIf(skip)('OVS harness: lifecycle', () => {
  it('runs two harnesses in parallel with identical bridges, and stop() releases everything', async () => {
    const topo = new Topology();
    const handles: OvsHandle[] = [];
    try {
      const pairs = [topo.veth(), topo.veth()];
      const started = await Promise.all([startOvs(), startOvs()]);
      handles.push(...started);
      // Same bridge name, same listener port, dpids differ: only isolation keeps them apart.
      const brs = await Promise.all(started.map((h, i) => h.addBridge('pcbr', { dpid: BigInt(i + 1) })));
      await Promise.all(started.map((h, i) => h.addPort(brs[i]!, pairs[i]!.a, 7)));
      const sleeper = started[0]!.spawn('sleep', ['600']); // a helper stop() must not leave behind
      await waitFor('helper in the namespace', () =>
        trySh(`ip netns pids ${started[0]!.netns}`)?.includes(String(sleeper.pid)),
      );
      const shows = await Promise.all(brs.map((b) => b.ofctl('show')));
      for (const [i, r] of shows.entries()) {
        expect(r.code).toBe(0);
        expect(r.stdout).toContain(`dpid:000000000000000${i + 1}`);
        expect(showPorts(r.stdout).get('7')?.name).toBe(pairs[i]!.a);
      }
      // The comparison workflow of #5: different dpids, interface names and MACs, and still the
      // same text once each side's own names are replaced.
      const [a, b] = shows.map((r) => normalizeOfctl(r.stdout, showPlaceholders(r.stdout)));
      expect(a).toContain('dpid:<dpid>');
      expect(a).toContain(' 7(<name:7>): addr:<addr:7>');
      expect(a).toBe(b);
      for (const h of started) {
        const t0 = performance.now();
        await h.stop();
        const ms = performance.now() - t0;
        console.log(`ovs harness: start ${h.timings.start.toFixed(0)} ms, stop ${ms.toFixed(0)} ms`);
        expect(h.timings.start).toBeLessThan(3000);
        expect(ms).toBeLessThan(3000);
        expect(released(h)).toBe(true);
        await h.stop(); // idempotent
      }
      expect(processStartTime(sleeper.pid!)).toBeUndefined();
      // The ports came home; the tap and the datapath never left the harness namespace.
      for (const p of pairs) {
        expect(linkExists(p.a)).toBe(true);
        expect(parseInt(readFileSync(`/sys/class/net/${p.a}/flags`, 'utf8'), 16) & 1).toBe(1);
      }
      expect(linkExists('pcbr')).toBe(false);
    } finally {
      await Promise.all(handles.map((h) => h.stop()));
      topo.cleanup();
    }
  });

  it('cleans up after a startup failure (vsctl error) and reports it', async () => {
    const ovs = await startOvs();
    try {
      await expect(ovs.addPort('nosuchbridge', 'lo')).rejects.toThrow();
    } finally {
      await ovs.stop();
    }
    expect(released(ovs)).toBe(true);
  });
});

/**
 * A separate Node process owning a harness, so it can die in ways a test process must survive.
 * The harness sources are transpiled to plain JS for it (Node 20 cannot run TypeScript).
 */
describe.skipIf(skip)('OVS harness: cleanup when the owner dies', () => {
  let jsDir: string;

  beforeAll(() => {
    jsDir = mkdtempSync(join(tmpdir(), `ofdp-ovsjs-${process.pid}-`));
    const src = join(dirname(fileURLToPath(import.meta.url)), 'support', 'ovs');
    mkdirSync(join(jsDir, 'ovs'));
    for (const f of readdirSync(src).filter((n) => n.endsWith('.ts'))) {
      const out = ts.transpileModule(readFileSync(join(src, f), 'utf8'), {
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          verbatimModuleSyntax: true,
        },
      });
      writeFileSync(join(jsDir, 'ovs', f.replace(/\.ts$/, '.js')), out.outputText);
    }
    writeFileSync(join(jsDir, 'package.json'), '{"type":"module"}');
    writeFileSync(
      join(jsDir, 'owner.js'),
      `import { startOvs } from './ovs/index.js';
       const ovs = await startOvs();
       await ovs.addBridge('pcbr');
       const guardian = Number((await import('node:fs')).readFileSync(ovs.dir + '/guardian', 'utf8'));
       console.log(JSON.stringify({ dir: ovs.dir, netns: ovs.netns, pids: ovs.pids, guardian }));
       // 'stay': live until killed. 'leave': once stdin closes, return without stop(), so the
       // process exits naturally with its daemons still running.
       if (process.argv[2] === 'stay') setInterval(() => {}, 1000);
       else process.stdin.resume();`,
    );
  });

  afterAll(() => rmSync(jsDir, { recursive: true, force: true }));

  interface Owned {
    dir: string;
    netns: string;
    pids: { ovsdbServer: number; vswitchd: number };
    guardian: number;
  }

  async function own(
    mode: 'stay' | 'leave',
  ): Promise<{ info: Owned; pid: number; exited: Promise<unknown>; child: ChildProcess }> {
    const child = spawn(process.execPath, [join(jsDir, 'owner.js'), mode], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise((r) => child.on('exit', r));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.on('exit', (c) => reject(new Error(`owner exited early (${c})`)));
    });
    const info = JSON.parse(line) as Owned;
    expect(runsFrom(info.pids.vswitchd, info.dir)).toBe(true);
    expect(netnsExists(info.netns)).toBe(true);
    return { info, pid: child.pid!, exited, child };
  }

  it('the guardian cleans up when the owner exits without stop()', async () => {
    const { info, exited, child } = await own('leave');
    child.stdin!.end();
    await exited; // the daemons and the guardian must not keep it alive
    await waitFor('guardian cleanup', () => released(info, true), 10_000, 20);
  });

  it('the guardian cleans up when the owner is SIGKILLed', async () => {
    const { info, pid, exited } = await own('stay');
    process.kill(pid, 'SIGKILL');
    await exited;
    await waitFor('guardian cleanup', () => released(info, true), 10_000, 20);
  });

  it('the stale sweep cleans up when owner and guardian are both SIGKILLed', async () => {
    const { info, pid, exited } = await own('stay');
    process.kill(info.guardian, 'SIGKILL');
    process.kill(pid, 'SIGKILL');
    await exited;
    await waitFor('guardian gone', () => !runsFrom(info.guardian, info.dir), 5000, 10);
    expect(existsSync(info.dir)).toBe(true); // nobody cleaned up yet
    const removed = cleanStale();
    // Another test process starting a harness right now may have swept it first; either way the
    // sweep, not the guardian, did the work.
    expect(removed.includes(info.dir) || !existsSync(info.dir)).toBe(true);
    await waitFor('daemons gone', () => released(info, true), 5000, 10);
  });
});

describe('normalizeOfctl', () => {
  it('masks flow and flow-removed durations only', () => {
    expect(normalizeOfctl(' cookie=0x0, duration=2.283855438s, table=0, idle_timeout=60, duration=7s')).toBe(
      ' cookie=0x0, duration=<dur>s, table=0, idle_timeout=60, duration=<dur>s',
    );
    expect(normalizeOfctl('reason=hard duration2.003s idle0')).toBe('reason=hard duration<dur>s idle0');
    expect(normalizeOfctl('duration=1.5s', {}, { durations: false })).toBe('duration=1.5s');
    // Not a duration field: left alone.
    expect(normalizeOfctl('xduration=1.5s duration=1.5ms')).toBe('xduration=1.5s duration=1.5ms');
  });

  it('replaces whole tokens only, longest first, in one pass', () => {
    const names = { va1x1: '<p1>', va1x10: '<p2>', '0000000000000042': '<dpid>', '<p1>': 'WRONG' };
    expect(normalizeOfctl(' 1(va1x1): addr:x\n 2(va1x10): addr:y\n 3(va1x100)', names)).toBe(
      ' 1(<p1>): addr:x\n 2(<p2>): addr:y\n 3(va1x100)',
    );
    expect(normalizeOfctl('dpid:0000000000000042 10000000000000042', names)).toBe(
      'dpid:<dpid> 10000000000000042',
    );
    const mac = new Map([['fe:cf:21:fd:3c:4c', '<mac>']]);
    expect(normalizeOfctl(' LOCAL(pcbr): addr:fe:cf:21:fd:3c:4c\n', mac)).toBe(' LOCAL(pcbr): addr:<mac>\n');
    expect(normalizeOfctl('a.b+c', { 'a.b+c': 'ok' })).toBe('ok');
    expect(normalizeOfctl('axb+c', { 'a.b+c': 'ok' })).toBe('axb+c');
    expect(() => normalizeOfctl('x', { '': 'y' })).toThrow();
  });
});

describe('showPorts / showPlaceholders', () => {
  const show =
    'OFPT_FEATURES_REPLY (xid=0x2): dpid:0000000000000042\n' +
    'n_tables:254, n_buffers:0\n' +
    ' 1(pcv0): addr:6e:5c:45:65:de:f4\n' +
    '     config:     0\n' +
    '     current:    10GB-FD COPPER\n' +
    ' LOCAL(pcbr): addr:fe:cf:21:fd:3c:4c\n' +
    '     config:     PORT_DOWN\n' +
    'OFPT_GET_CONFIG_REPLY (xid=0x4): frags=normal miss_send_len=0\n';

  it('parses port blocks', () => {
    const ports = showPorts(show);
    expect([...ports.keys()]).toEqual(['1', 'LOCAL']);
    expect(ports.get('1')).toEqual({
      port: '1',
      name: 'pcv0',
      addr: '6e:5c:45:65:de:f4',
      lines: ['     config:     0', '     current:    10GB-FD COPPER'],
    });
  });

  it('names the dpid, port names and MACs by port number', () => {
    expect(showPlaceholders(show)).toEqual({
      '0000000000000042': '<dpid>',
      pcv0: '<name:1>',
      '6e:5c:45:65:de:f4': '<addr:1>',
      pcbr: '<name:LOCAL>',
      'fe:cf:21:fd:3c:4c': '<addr:LOCAL>',
    });
  });
});
