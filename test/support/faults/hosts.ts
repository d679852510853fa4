/*
 * Host-side probes for fault tests: ping with a deadline (retried, since "traffic flows while the
 * controller is away" is a state reached some time after the event), a single ping that is expected
 * to fail, and a namespace interface's receive counter (to show that nothing reached a host).
 *
 * Asynchronous on purpose: a test may run an in-process controller (scripted-controller.ts) that
 * must keep answering while the ping runs.
 */
import { runTool } from '../ovs/tools.js';
import type { Host } from '../netns.js';

/** One ping (`count` echo requests, `waitSec` per reply); true when a reply came. */
export async function pingOnce(from: Host, to: string, waitSec = 1, count = 1): Promise<boolean> {
  const r = await runTool('ping', ['-n', '-q', '-c', String(count), '-W', String(waitSec), to], {
    netns: from.ns.name,
    timeoutMs: (waitSec * count + 5) * 1000,
  });
  return r.code === 0;
}

/** Pings until a reply comes; rejects after `deadlineMs`. Resolves with the attempts it took. */
export async function pingWithin(from: Host, to: string, deadlineMs: number): Promise<number> {
  const end = performance.now() + deadlineMs;
  for (let attempt = 1; ; attempt++) {
    if (await pingOnce(from, to, 1)) return attempt;
    if (performance.now() > end)
      throw new Error(
        `no ping reply from ${to} (from ${from.ns.name}) within ${deadlineMs} ms (${attempt} tries)`,
      );
  }
}

/** Packets received by the host's own interface (inside its namespace). */
export async function rxPackets(h: Host): Promise<number> {
  const r = await runTool('cat', [`/sys/class/net/${h.ifname}/statistics/rx_packets`], { netns: h.ns.name });
  if (r.code !== 0) throw new Error(`cannot read rx_packets of ${h.ifname}: ${r.stderr}`);
  return Number(r.stdout.trim());
}
