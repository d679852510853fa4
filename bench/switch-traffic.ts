/*
 * Traffic and measurement pieces for bench/switch.bench.ts: the 64-byte frame generator/sink of
 * the netdev bench run inside a host namespace, ping round trips, and a process's CPU time.
 *
 * CPU is read from /proc/PID/task/<tid>/schedstat (nanoseconds on CPU, every thread: ovs-vswitchd's
 * handler/revalidator threads, Node's libuv and V8 helper threads), so one measurement of a switch
 * process covers all of its work at nanosecond resolution rather than /proc/PID/stat's 10 ms ticks.
 * Threads that exit inside a measured interval are not counted; neither switch starts or ends
 * threads while forwarding.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runTool } from '../test/support/ovs/index.js';

const GEN = fileURLToPath(new URL('./netdev-generator.js', import.meta.url));

/** Children still running, so the bench can kill them if it fails midway. */
const running = new Set<ChildProcess>();

export function killGenerators(): void {
  for (const c of running) c.kill('SIGKILL');
  running.clear();
}

export interface Generator {
  ready: Promise<void>;
  result: Promise<Record<string, number>>;
}

/**
 * `netdev-generator.js MODE IFNAME SECONDS MAX` inside `ns`: 'send' blasts 64-byte frames (each
 * with a distinct sequence number) for SECONDS; 'recv' counts arrivals until 300 ms of quiet.
 */
export function generator(
  ns: string,
  mode: 'send' | 'recv',
  ifname: string,
  seconds: number,
  max = 5_000_000,
): Generator {
  const p = spawn(
    'ip',
    ['netns', 'exec', ns, process.execPath, GEN, mode, ifname, String(seconds), String(max)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  running.add(p);
  let out = '';
  let readyFn: () => void = () => {};
  const ready = new Promise<void>((r) => (readyFn = r));
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready')) readyFn();
  });
  const result = new Promise<Record<string, number>>((resolve, reject) =>
    p.on('exit', (code) => {
      running.delete(p);
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{'))
        reject(new Error(`generator ${mode} failed (${code}): ${out}`));
      else resolve(JSON.parse(line) as Record<string, number>);
    }),
  );
  // A generator that dies before "ready" must not leave the caller waiting forever.
  void result.catch(() => readyFn());
  return { ready, result };
}

/** Nanoseconds of CPU used so far by every thread of `pid`. */
export function cpuNanos(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread exited between readdir and read
    }
  }
  return total;
}

/** Round-trip times of the replies, µs, in arrival order; `lost` counts requests with no reply. */
export interface PingResult {
  rttsUs: number[];
  lost: number;
}

/**
 * `ping -c COUNT -i 0.002 DST` inside `ns` (root may use intervals below 200 ms), every reply's time
 * kept so callers can take medians and percentiles over several rounds.
 */
export async function ping(ns: string, dst: string, count: number): Promise<PingResult> {
  const r = await runTool('ping', ['-c', String(count), '-i', '0.002', '-W', '1', '-n', dst], {
    netns: ns,
    timeoutMs: 10_000 + count * 20,
  });
  const rttsUs = [...r.stdout.matchAll(/ time=([\d.]+) ms/g)].map((m) => Number(m[1]) * 1000);
  const sent = /(\d+) packets transmitted/.exec(r.stdout);
  if (!sent || rttsUs.length === 0) throw new Error(`ping ${dst} failed (${r.code}): ${r.stdout}${r.stderr}`);
  return { rttsUs, lost: Number(sent[1]) - rttsUs.length };
}

/** The q-quantile (0..1) of `xs` by nearest rank; NaN for none. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
