/*
 * Port I/O benchmarks: receive and send rates (frames/s) and our CPU per frame for one system port
 * (a veth, TPACKET_V3 ring and recvmmsg) and one tap, with 64-byte frames, against a generator
 * in another network namespace (bench/netdev-generator.ts, a child process using sendmmsg, started
 * by switch-traffic.ts's generator(), which the switch bench shares).
 *
 * Compare with Open vSwitch's userspace datapath forwarding on the same kind of veths: about
 * 230,000 frames/s at ~4.2 µs of CPU per frame (issue #4). Receive rates are bounded by the
 * generator (one process, and the kernel's veth delivery runs in its context); CPU µs/frame is
 * ours alone (process.cpuUsage over the measured interval, all our threads). The worker case
 * measures the design alternative rejected in src/netdev/linux/io-loop.ts. Needs root; skipped
 * with a message otherwise.
 */
import { Worker } from 'node:worker_threads';
import type { Report } from './harness.js';
import { generator } from './switch-traffic.js';
import { sh } from '../test/support/netns.js';
import type { NetdevDevice, RxBatch } from '../src/netdev/provider.js';

const WORKER = new URL('./netdev-worker.js', import.meta.url);
const SECONDS = 1.5;

/** At most this many frames per generator run (it stops at SECONDS otherwise). */
const MAX_FRAMES = 3_000_000;

function cpuMicros(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}

/** Receives from a generator in `ns` sending on `genIf`; returns [frames/s, µs CPU/frame, generator pps]. */
async function measureRx(dev: NetdevDevice, ns: string, genIf: string): Promise<[number, number, number]> {
  let count = 0;
  let first = 0;
  let last = 0;
  let cpu0 = process.cpuUsage();
  let cpuAtLast = 0;
  dev.startReceive((b: RxBatch) => {
    if (count === 0) {
      first = performance.now();
      cpu0 = process.cpuUsage();
    }
    count += b.count;
    last = performance.now();
    cpuAtLast = cpuMicros(cpu0);
  });
  const g = generator(ns, 'send', genIf, SECONDS, MAX_FRAMES);
  const res = await g.result;
  await new Promise((r) => setTimeout(r, 100)); // let the last blocks retire
  const secs = (last - first) / 1000;
  return [count / secs, cpuAtLast / count, res.sent! / res.secs!];
}

/** As measureRx, but the port lives in a worker thread that posts each batch to this thread. */
async function measureWorkerRx(ifname: string, ns: string, genIf: string): Promise<[number, number, number]> {
  const w = new Worker(WORKER, { workerData: { ifname } });
  let count = 0;
  let first = 0;
  let last = 0;
  let cpu0 = process.cpuUsage();
  let cpuAtLast = 0;
  await new Promise<void>((resolve, reject) => {
    w.once('error', reject);
    w.on('message', (m: 'ready' | { count: number; frames: ArrayBuffer }) => {
      if (m === 'ready') return resolve();
      if (count === 0) {
        first = performance.now();
        cpu0 = process.cpuUsage();
      }
      count += m.count;
      last = performance.now();
      cpuAtLast = cpuMicros(cpu0);
    });
  });
  const res = await generator(ns, 'send', genIf, SECONDS, MAX_FRAMES).result;
  await new Promise((r) => setTimeout(r, 200));
  w.postMessage('stop');
  await new Promise((r) => w.once('exit', r));
  return [count / ((last - first) / 1000), cpuAtLast / count, res.sent! / res.secs!];
}

/** Sends 64-byte frames for SECONDS to a receiver in `ns` on `genIf`; returns [frames/s, µs/frame, delivered/s]. */
async function measureTx(dev: NetdevDevice, ns: string, genIf: string): Promise<[number, number, number]> {
  const g = generator(ns, 'recv', genIf, SECONDS + 3, MAX_FRAMES);
  await g.ready;
  const frame = Buffer.alloc(64);
  frame.writeUIntBE(0x02_00_00_00_00_fe, 0, 6);
  frame.writeUIntBE(0x02_00_00_00_00_02, 6, 6);
  frame.writeUInt16BE(0x88b5, 12);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + SECONDS * 1000;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 64; i++) {
      frame.writeUInt32BE(n + i, 14);
      dev.send(frame, 0, 64);
    }
    dev.flush();
    n += 64;
  }
  const secs = (performance.now() - start) / 1000;
  const cpu = cpuMicros(cpu0);
  const res = await g.result;
  return [n / secs, cpu / n, res.received! / secs];
}

export async function run(report: Report): Promise<void> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    console.log('bench netdev: skipped (needs Linux and root for veth, tap and namespaces)');
    return;
  }
  const { SystemProvider } = await import('../src/netdev/linux/system.js');
  const { TapProvider } = await import('../src/netdev/linux/tap.js');
  const id = `${process.pid}`;
  const ns = `nsb${id}`;
  const a = `vba${id}`;
  const b = `vbb${id}`;
  const t = `tpb${id}`;
  sh(`ip netns add ${ns} && ip link add ${a} type veth peer name ${b} netns ${ns}`);
  const devs: NetdevDevice[] = [];
  try {
    for (const cmd of [`ip link set ${a} up`, `ip -n ${ns} link set ${b} up`, `ip -n ${ns} link set lo up`])
      sh(cmd);
    sh(`sysctl -qw net.ipv6.conf.${a}.disable_ipv6=1`);

    for (const rx of ['ring', 'mmsg'] as const) {
      const dev = await new SystemProvider().open(a, { rx });
      devs.push(dev);
      const [pps, us, gen] = await measureRx(dev, ns, b);
      report(`netdev.system-${rx}.rx64`, pps, 'frames/s');
      report(`netdev.system-${rx}.rx64.cpu`, us, 'us/frame');
      report(`netdev.system-${rx}.rx64.generator`, gen, 'frames/s');
      await dev.close();
      devs.pop();
    }
    {
      const [pps, us, gen] = await measureWorkerRx(a, ns, b);
      report('netdev.system-ring.rx64.worker-postmessage', pps, 'frames/s');
      report('netdev.system-ring.rx64.worker-postmessage.cpu', us, 'us/frame');
      report('netdev.system-ring.rx64.worker-postmessage.generator', gen, 'frames/s');
    }
    {
      const dev = await new SystemProvider().open(a);
      devs.push(dev);
      const [pps, us, got] = await measureTx(dev, ns, b);
      report('netdev.system.tx64', pps, 'frames/s');
      report('netdev.system.tx64.cpu', us, 'us/frame');
      report('netdev.system.tx64.delivered', got, 'frames/s');
      await dev.close();
      devs.pop();
    }
    {
      // The tap's kernel side is moved into the namespace; its fd keeps working from here.
      const dev = await new TapProvider().open(t);
      devs.push(dev);
      sh(`ip link set ${t} netns ${ns} && ip -n ${ns} link set ${t} up`);
      sh(`ip netns exec ${ns} sysctl -qw net.ipv6.conf.${t}.disable_ipv6=1`);
      const [pps, us, got] = await measureTx(dev, ns, t);
      report('netdev.tap.tx64', pps, 'frames/s');
      report('netdev.tap.tx64.cpu', us, 'us/frame');
      report('netdev.tap.tx64.delivered', got, 'frames/s');
      const [rpps, rus, gen] = await measureRx(dev, ns, t);
      report('netdev.tap.rx64', rpps, 'frames/s');
      report('netdev.tap.rx64.cpu', rus, 'us/frame');
      report('netdev.tap.rx64.generator', gen, 'frames/s');
    }
    report('netdev.ovs-userspace-forwarding.reference', 230000, 'frames/s');
    report('netdev.ovs-userspace-forwarding.reference.cpu', 4.2, 'us/frame');
  } finally {
    for (const d of devs) await d.close().catch(() => {});
    try {
      sh(`ip link del ${a} 2>/dev/null || true; ip netns del ${ns}`);
    } catch {
      // already gone
    }
  }
}
