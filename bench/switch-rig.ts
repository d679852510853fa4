/*
 * The two switches under comparison, built identically for bench/switch.bench.ts: ofdp (`ofdp run`
 * as its own process, so its CPU is measurable and nothing of the bench shares its event loop) and
 * Open vSwitch (userspace datapath, `datapath_type=netdev`, from the test harness in
 * test/support/ovs). Each gets two hosts — namespaces joined by veths to ports 1 and 2 — and a
 * counting controller on a Unix socket, and runs with fail_mode secure so nothing forwards or
 * reaches the controller unless a case asks for it.
 *
 * Both are driven the same way: ovs-ofctl over each switch's Unix management socket from this
 * namespace, frames from the same generator, the same controller code. Cleanup is `stop()`, which
 * never rejects; everything created is removed (processes, harness, namespaces, veths, sockets).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOvs, ofctlSwitch, type OfctlSwitch, type OvsHandle } from '../test/support/ovs/index.js';
import { Topology, type Host } from '../test/support/netns.js';
import { WatchedProcess } from '../test/support/watched-process.js';
import { withDeadline } from '../test/support/waiters.js';
import { startCountingController, type CountingController } from './switch-controller.js';

// From dist/bench/ (where the bench runs) as from bench/: the launcher at the repository root.
const OFDP_BIN = fileURLToPath(new URL('../../bin/ofdp.js', import.meta.url));

/**
 * Node flags for the ofdp process from $OFDP_BENCH_NODE_FLAGS (e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/prof` to profile the switch while the bench drives it).
 */
function nodeFlags(): string[] {
  return (process.env.OFDP_BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
}

/**
 * Extra `ofdp run` arguments from $OFDP_BENCH_ARGS (e.g. `--busy-poll 0` to measure without busy
 * polling).
 */
function extraArgs(): string[] {
  return (process.env.OFDP_BENCH_ARGS ?? '').split(/\s+/).filter(Boolean);
}

/** `ofdp run` as a child; resolves once its start-up line says its ports and listeners are up. */
async function startOfdp(
  launcher: string[],
  rundir: string,
  args: readonly string[],
): Promise<WatchedProcess> {
  const proc = new WatchedProcess('ofdp run', process.execPath, [
    ...nodeFlags(),
    ...launcher,
    '--bridge',
    'swbench',
    '--rundir',
    rundir,
    ...args,
    ...extraArgs(),
  ]);
  try {
    await proc.waitForOutput(/listening on [^\n]*\n/, 20_000);
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return proc;
}

/** ofdp as `ofdp run` builds it (recvmmsg receive); ofdp with `--rx-mode ring` (TPACKET_V3); Open vSwitch. */
export type SwitchName = 'ofdp' | 'ofdp-ring' | 'ovs';

export interface BenchSwitch {
  readonly name: SwitchName;
  /** The switch process (ofdp's node, ovs-vswitchd) for CPU sampling. */
  readonly pid: number;
  /** ovs-ofctl against the switch's Unix management socket. */
  readonly sw: OfctlSwitch;
  /** Hosts on ports 1 and 2 (addresses 10.77.0.1 and 10.77.0.2). */
  readonly hosts: readonly [Host, Host];
  readonly controller: CountingController;
}

export interface Rig {
  readonly switches: readonly BenchSwitch[];
  stop(): Promise<void>;
}

function connectedWithin(c: CountingController, who: string, ms = 10_000): Promise<void> {
  return withDeadline(c.connected, ms, `${who} did not connect to ${c.target} within ${ms} ms`);
}

export async function startRig(): Promise<Rig> {
  const topo = new Topology();
  const dir = mkdtempSync(join(tmpdir(), 'ofdp-swbench-'));
  const controllers: CountingController[] = [];
  const procs: WatchedProcess[] = [];
  let ovs: OvsHandle | undefined;
  const stop = async (): Promise<void> => {
    for (const p of procs) await p.stop().catch(() => undefined);
    await ovs?.stop(); // gives the borrowed veths back, so the topology can delete them
    for (const c of controllers) await c.close().catch(() => undefined);
    topo.cleanup();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const hosts = (): [Host, Host] => [topo.host('10.77.0.1/24'), topo.host('10.77.0.2/24')];

    const ofdps: BenchSwitch[] = [];
    for (const [name, launcher] of [
      ['ofdp', [OFDP_BIN, 'run']],
      ['ofdp-ring', [OFDP_BIN, 'run', '--rx-mode', 'ring']],
    ] as const) {
      const dHosts = hosts();
      const dCtl = await startCountingController(join(dir, `${name}.ctl`));
      controllers.push(dCtl);
      const rundir = join(dir, name);
      const proc = await startOfdp([...launcher], rundir, [
        '--no-local',
        '--fail-mode',
        'secure',
        '--port',
        `system:${dHosts[0].port}=1`,
        '--port',
        `system:${dHosts[1].port}=2`,
        '--controller',
        dCtl.target,
      ]);
      procs.push(proc);
      await connectedWithin(dCtl, name);
      const sw = ofctlSwitch(`unix:${join(rundir, 'swbench.mgmt')}`);
      ofdps.push({ name, pid: proc.pid!, sw, hosts: dHosts, controller: dCtl });
    }

    const oHosts = hosts();
    ovs = await startOvs({ logLevel: 'warn' });
    // ovs-vswitchd refuses unix: controllers outside its run directory.
    const oCtl = await startCountingController(join(ovs.dir, 'bench.ctl'));
    controllers.push(oCtl);
    const br = await ovs.addBridge('swbench', { controllers: [oCtl.target] });
    await ovs.addPort(br, oHosts[0].port, 1);
    await ovs.addPort(br, oHosts[1].port, 2);
    await connectedWithin(oCtl, 'ovs-vswitchd');

    return {
      switches: [
        ...ofdps,
        { name: 'ovs', pid: ovs.pids.vswitchd, sw: br.mgmt, hosts: oHosts, controller: oCtl },
      ],
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
