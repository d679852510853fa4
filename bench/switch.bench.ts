/*
 * Switch-level benchmarks, ofdp beside Open vSwitch (userspace datapath) measured in the same run
 * on identical topologies (issue #5 "Speed", issue #4 forwarding comparison). Every case prints
 * one line per switch, `switch.<case>.ofdp` / `.ofdp-ring` / `.ovs`, then `.ratio` (ofdp ÷ OVS)
 * and `.ratio-ring` (ofdp-ring ÷ OVS). For rates a ratio ≥ 1 meets the target "at least Open
 * vSwitch's rate"; for round-trip times and CPU per frame or flow lower is better, so ≤ 1 does.
 *
 * The switches (switch-rig.ts): `ofdp` is `ofdp run` as shipped (system ports receive with
 * recvmmsg, waking per arrival); `ofdp-ring` is `ofdp run --rx-mode ring` (a TPACKET_V3 ring: least
 * CPU per frame, but its 1 ms block-retire timer dominates round trips at low rates);
 * `ovs` is ovs-vswitchd with `datapath_type=netdev` from test/support/ovs.
 *
 *  - flow_mods_10k / flow_mods_100k: `ovs-ofctl -O OpenFlow10 --no-names add-flows TARGET FILE`
 *    with N distinct flows over the switch's Unix management socket; wall time of the command →
 *    flows/s, the median of 5 resp. 3 rounds that alternate between the switches (after a
 *    2,000-flow warm-up), `.best` the fastest round, and the switch process's CPU per flow (median).
 *    ovs-ofctl sends FLOW_MOD+BARRIER per flow and waits each time (clients.md §2), so this is a
 *    round-trip rate including ovs-ofctl's own work and the kernel's cross-CPU wake-ups, identical
 *    for both; on a VM the wake-ups dominate and single rounds swing 4× as the scheduler places
 *    client and switch on one CPU or two — hence medians. ofdp and OVS only (the receive mode does
 *    not touch this path).
 *  - packet_ins: an empty table, a generator blasting distinct 64-byte frames into port 1, and a
 *    counting controller (switch-controller.ts, same code for all) → PACKET_INs received per
 *    second over a 1.5 s window after a 0.3 s warm-up (best of 2). Default miss_send_len (128,
 *    buffered) and no packet-in rate limit on either switch.
 *  - ping_rtt: flows `actions=NORMAL`, ARP warmed up, one unrecorded round per switch, then 5
 *    rounds of `ping -c 200 -i 0.002` host 1 → host 2 alternating between the switches; over all
 *    replies: the median round trip in µs (`ping_rtt`), `.p90`, `.avg`, `.min`, and `.loss`
 *    (should be 0).
 *  - forward64: `in_port=1,actions=output:2`, 64-byte frames from the generator in host 1's
 *    namespace for 2 s, counted by a packet socket in host 2's → frames/s delivered, and the
 *    switch process's CPU (all threads) per delivered frame in µs (best of 2). `.offered` is the
 *    generator's send rate.
 *
 * Cases run switch after switch; all switches stay up the whole time (idle costs nothing). CPU
 * figures come from /proc (switch-traffic.ts). Bounded: fixed durations and frame caps, ovs-ofctl
 * timeouts; about a minute in all. $OFDP_BENCH_SWITCH_CASES=ping_rtt,flow_mods (any of flow_mods,
 * packet_ins, ping_rtt, forward64) runs only those; $OFDP_BENCH_ARGS adds `ofdp run` flags
 * (switch-rig.ts). Everything is removed at the end, on error, and on SIGINT/SIGTERM.
 * Needs root and the Open vSwitch binaries; skipped with the reason otherwise.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from './harness.js';
import { ovsUnavailableReason } from '../test/support/ovs/index.js';
import { startRig, type BenchSwitch, type SwitchName } from './switch-rig.js';
import { cpuNanos, generator, killGenerators, ping, quantile, sleep } from './switch-traffic.js';

const PKTIN_WARMUP_MS = 300;
const PKTIN_WINDOW_MS = 1500;
const FORWARD_SECONDS = 2;
const PING_COUNT = 200;
const PING_ROUNDS = 5;
/** Flows added and deleted once per switch before the measured rounds (JIT, allocator, caches). */
const WARMUP_FLOWS = 2000;

type PerSwitch = Partial<Record<SwitchName, number>>;

/** $OFDP_BENCH_SWITCH_CASES (comma-separated case names) runs only those; default all. */
function wanted(name: string): boolean {
  const only = process.env.OFDP_BENCH_SWITCH_CASES;
  return !only || only.split(',').includes(name);
}

/**
 * Reports `switch.<name>.<switch>` for each measured switch, then `.ratio` (ofdp ÷ OVS) and
 * `.ratio-ring` (ofdp-ring ÷ OVS).
 */
function reportAll(report: Report, name: string, v: PerSwitch, unit: string, ratios = true): void {
  for (const k of ['ofdp', 'ofdp-ring', 'ovs'] as const)
    if (v[k] !== undefined) report(`switch.${name}.${k}`, v[k], unit);
  if (!ratios || v.ovs === undefined) return;
  if (v.ofdp !== undefined) report(`switch.${name}.ratio`, v.ofdp / v.ovs, 'x');
  if (v['ofdp-ring'] !== undefined) report(`switch.${name}.ratio-ring`, v['ofdp-ring'] / v.ovs, 'x');
}

/** The highest of `rounds` measurements. */
async function best(rounds: number, f: () => Promise<number>): Promise<number> {
  let b = -Infinity;
  for (let i = 0; i < rounds; i++) b = Math.max(b, await f());
  return b;
}

async function ofctlOk(s: BenchSwitch, cmd: string, args: readonly string[] = []): Promise<void> {
  const r = await s.sw.ofctl(cmd, args, { options: ['--no-names'] });
  if (r.code !== 0) throw new Error(`${s.name}: ovs-ofctl ${cmd} failed (${r.code}): ${r.stderr}`);
}

function flowFile(dir: string, n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(`priority=100,ip,nw_dst=10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255},actions=output:2`);
  const file = join(dir, `flows-${n}.txt`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

interface FlowModResult {
  rate: number;
  cpuUs: number;
}

async function flowMods(s: BenchSwitch, file: string, n: number): Promise<FlowModResult | undefined> {
  await ofctlOk(s, 'del-flows');
  const cpu0 = cpuNanos(s.pid);
  const r = await s.sw.ofctl('add-flows', [file], { options: ['--no-names'], timeoutSec: 120 });
  const cpu = cpuNanos(s.pid) - cpu0;
  await ofctlOk(s, 'del-flows');
  if (r.code !== 0) {
    console.log(
      `bench switch: ${s.name} add-flows ${n} failed (${r.code}): ${r.stderr.trim().slice(0, 300)}`,
    );
    return undefined;
  }
  return { rate: n / (r.ms / 1000), cpuUs: cpu / 1000 / n };
}

async function packetIns(s: BenchSwitch): Promise<number> {
  await ofctlOk(s, 'del-flows');
  const seconds = (PKTIN_WARMUP_MS + PKTIN_WINDOW_MS + 300) / 1000;
  const gen = generator(s.hosts[0].ns.name, 'send', s.hosts[0].ifname, seconds);
  await gen.ready;
  await sleep(PKTIN_WARMUP_MS);
  const c0 = s.controller.packetIns;
  const t0 = performance.now();
  await sleep(PKTIN_WINDOW_MS);
  const c1 = s.controller.packetIns;
  const t1 = performance.now();
  await gen.result;
  // Let whatever the switch still has queued drain before the next case (bounded).
  let last = -1;
  for (let i = 0; i < 50 && s.controller.packetIns !== last; i++) {
    last = s.controller.packetIns;
    await sleep(100);
  }
  return (c1 - c0) / ((t1 - t0) / 1000);
}

async function pingRtt(s: BenchSwitch): Promise<{ rtts: number[]; lost: number }> {
  await ofctlOk(s, 'del-flows');
  await ofctlOk(s, 'add-flow', ['actions=NORMAL']);
  const [a, b] = s.hosts;
  await ping(a.ns.name, b.ip, 3); // ARP and MAC learning
  const r = await ping(a.ns.name, b.ip, PING_COUNT);
  await ofctlOk(s, 'del-flows');
  return { rtts: r.rttsUs, lost: r.lost };
}

interface ForwardResult {
  pps: number;
  cpuUs: number;
  offered: number;
}

async function forward(s: BenchSwitch): Promise<ForwardResult> {
  await ofctlOk(s, 'del-flows');
  await ofctlOk(s, 'add-flow', ['in_port=1,actions=output:2']);
  const [a, b] = s.hosts;
  const sink = generator(b.ns.name, 'recv', b.ifname, FORWARD_SECONDS + 5);
  await sink.ready;
  const cpu0 = cpuNanos(s.pid);
  const sent = await generator(a.ns.name, 'send', a.ifname, FORWARD_SECONDS).result;
  const got = await sink.result;
  const cpu = cpuNanos(s.pid) - cpu0;
  await ofctlOk(s, 'del-flows');
  const received = got.received ?? 0;
  return {
    pps: received / (got.secs || 1),
    cpuUs: received > 0 ? cpu / 1000 / received : NaN,
    offered: (sent.sent ?? 0) / (sent.secs || 1),
  };
}

export async function run(report: Report): Promise<void> {
  const why = ovsUnavailableReason();
  if (why) {
    console.log(`bench switch: skipped (${why})`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ofdp-swbench-flows-'));
  const rig = await startRig();
  // Interrupted (Ctrl-C, a timeout's SIGTERM): remove namespaces, veths and processes first.
  const onSignal = (sig: NodeJS.Signals): void => {
    killGenerators();
    void rig.stop().finally(() => {
      rmSync(dir, { recursive: true, force: true });
      process.kill(process.pid, sig);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const all = rig.switches;
    const [ofdp, , ovs] = all as [BenchSwitch, BenchSwitch, BenchSwitch];

    if (wanted('flow_mods')) {
      // Flow-mods take the same code path whatever the receive mode: ofdp and OVS only.
      const warm = flowFile(dir, WARMUP_FLOWS);
      for (const s of [ofdp, ovs]) await flowMods(s, warm, WARMUP_FLOWS);
      for (const [n, rounds] of [
        [10_000, 5],
        [100_000, 3],
      ] as const) {
        const file = flowFile(dir, n);
        const rates: Partial<Record<SwitchName, number[]>> = {};
        const cpus: Partial<Record<SwitchName, number[]>> = {};
        for (let i = 0; i < rounds; i++) {
          for (const s of [ofdp, ovs]) {
            const r = await flowMods(s, file, n);
            if (!r) continue;
            (rates[s.name] ??= []).push(r.rate);
            (cpus[s.name] ??= []).push(r.cpuUs);
          }
        }
        const of = (m: Partial<Record<SwitchName, number[]>>, f: (xs: number[]) => number): PerSwitch =>
          Object.fromEntries(Object.entries(m).map(([k, xs]) => [k, f(xs)]));
        reportAll(
          report,
          `flow_mods_${n / 1000}k`,
          of(rates, (xs) => quantile(xs, 0.5)),
          'flows/s',
        );
        reportAll(
          report,
          `flow_mods_${n / 1000}k.best`,
          of(rates, (xs) => Math.max(...xs)),
          'flows/s',
        );
        reportAll(
          report,
          `flow_mods_${n / 1000}k.cpu`,
          of(cpus, (xs) => quantile(xs, 0.5)),
          'us/flow',
        );
      }
    }
    if (wanted('packet_ins')) {
      const pin: PerSwitch = {};
      for (const s of all) pin[s.name] = await best(2, () => packetIns(s));
      reportAll(report, 'packet_ins', pin, 'packet-ins/s');
    }
    if (wanted('ping_rtt')) {
      const rtts: Partial<Record<SwitchName, number[]>> = {};
      const loss: PerSwitch = {};
      // One unrecorded round per switch first: the first pings through a fresh path pay for cold
      // kernel paths (ICMP in the namespaces, the veths) and, in ofdp, for V8 not having optimised
      // the port code yet; the flow-mod case warms up likewise.
      for (const s of all) await pingRtt(s);
      for (let i = 0; i < PING_ROUNDS; i++) {
        for (const s of all) {
          const r = await pingRtt(s);
          (rtts[s.name] ??= []).push(...r.rtts);
          loss[s.name] = (loss[s.name] ?? 0) + r.lost;
        }
      }
      const over = (f: (xs: number[]) => number): PerSwitch =>
        Object.fromEntries(Object.entries(rtts).map(([k, xs]) => [k, f(xs)]));
      reportAll(
        report,
        'ping_rtt',
        over((xs) => quantile(xs, 0.5)),
        'us',
      );
      reportAll(
        report,
        'ping_rtt.p90',
        over((xs) => quantile(xs, 0.9)),
        'us',
      );
      reportAll(
        report,
        'ping_rtt.avg',
        over((xs) => xs.reduce((a, b) => a + b, 0) / xs.length),
        'us',
      );
      reportAll(
        report,
        'ping_rtt.min',
        over((xs) => Math.min(...xs)),
        'us',
      );
      for (const k of Object.keys(loss) as SwitchName[])
        loss[k] = (100 * loss[k]!) / (PING_ROUNDS * PING_COUNT);
      reportAll(report, 'ping_rtt.loss', loss, '%', false);
    }
    if (wanted('forward64')) {
      const pps: PerSwitch = {};
      const cpu: PerSwitch = {};
      const offered: PerSwitch = {};
      for (const s of all) {
        for (let i = 0; i < 2; i++) {
          const r = await forward(s);
          if (r.pps > (pps[s.name] ?? 0)) {
            pps[s.name] = r.pps;
            cpu[s.name] = r.cpuUs;
            offered[s.name] = r.offered;
          }
        }
      }
      reportAll(report, 'forward64', pps, 'frames/s');
      reportAll(report, 'forward64.cpu', cpu, 'us/frame');
      reportAll(report, 'forward64.offered', offered, 'frames/s', false);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    killGenerators();
    await rig.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
