/*
 * `ofdp run` with real ports releases them on SIGTERM and on SIGINT (issue #5): the compiled CLI
 * runs a tap port it creates, a system port on a veth whose peer sits in a namespace, and the LOCAL
 * port (an internal tap named after the bridge).
 *
 * While it runs, the test checks what a switch must hold: the system port's device promiscuous,
 * both taps present, the .mgmt socket answering ovs-ofctl. After the signal it checks what must be
 * given back: exit code 0 by itself (bin/ofdp.js never calls process.exit, so a handle left open
 * would keep it alive until the helper's SIGKILL, failing the test), the veth's promiscuity as it
 * was before, both taps gone, the veth itself still there and otherwise untouched (a system port's
 * device belongs to the administrator), and the .mgmt socket file removed. The rundir is kept
 * until the end so the socket's absence is ofdp's doing.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { OfdpProcess, ofctl } from '../support/ofdp-run.js';
import { Topology, linkExists, sh, trySh, uniqueName } from '../support/netns.js';

function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (veth, namespaces, taps and AF_PACKET need it)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  if (trySh('command -v ip') === undefined) return 'iproute2 (ip) is not installed';
  if (trySh('command -v ovs-ofctl') === undefined) return 'ovs-ofctl is not installed';
  return undefined;
}
const skip = skipReason();
if (skip) console.warn(`\n*** SKIPPING ofdp run port-release tests: ${skip} ***\n`);

/** The parts of `ip -j -d link show` this test compares. */
interface Link {
  ifindex: number;
  flags: string[];
  mtu: number;
  address: string;
  promiscuity: number;
}

function link(name: string, ns?: string): Link {
  const [l] = JSON.parse(sh(`ip ${ns ? `-n ${ns} ` : ''}-j -d link show dev ${name}`)) as Link[];
  return l!;
}

describe.skipIf(skip !== undefined)('ofdp run releases real ports on a signal', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s: promiscuity restored, taps deleted, veth kept, .mgmt removed, exit 0',
    async (signal) => {
      const topo = new Topology();
      const bridge = uniqueName('br');
      const tap = uniqueName('tp');
      let sw: OfdpProcess | undefined;
      try {
        const ns = topo.namespace();
        const { a: veth, b: peer } = topo.veth(ns);
        const before = link(veth);
        expect(linkExists(tap) || linkExists(bridge)).toBe(false); // ofdp creates both

        sw = await OfdpProcess.start({
          bridge,
          ports: [`tap:${tap}`, `system:${veth}`],
          local: true,
        });
        const mgmtFile = join(sw.rundir, `${bridge}.mgmt`);

        // Held while running.
        expect(link(veth).promiscuity).toBeGreaterThanOrEqual(before.promiscuity + 1);
        expect(linkExists(tap)).toBe(true);
        expect(linkExists(bridge)).toBe(true);
        expect(existsSync(mgmtFile)).toBe(true);
        const show = await ofctl('show', sw.mgmt);
        expect(show).toMatch(new RegExp(`^ \\d+\\(${tap}\\): addr:`, 'm'));
        expect(show).toMatch(new RegExp(`^ \\d+\\(${veth}\\): addr:`, 'm'));
        expect(show).toMatch(new RegExp(`^ LOCAL\\(${bridge}\\): addr:`, 'm'));

        // Stop it the way a user does, and wait until it is gone (SIGKILL only after 5 s).
        const from = sw.lines.length;
        await sw.proc.stop(signal);
        const log = sw.lines.slice(from).join('\n');
        expect(sw.proc.child.signalCode, `killed instead of exiting:\n${log}`).toBeNull();
        expect(sw.proc.child.exitCode, log).toBe(0);
        expect(log).toContain(`${signal}: stopping`);
        expect(log).not.toMatch(/while stopping|internal error/);

        // Released.
        expect(link(veth).promiscuity).toBe(before.promiscuity);
        expect(linkExists(tap)).toBe(false);
        expect(linkExists(bridge)).toBe(false);
        expect(existsSync(mgmtFile)).toBe(false);

        // The system port's device is the administrator's: still there, as it was.
        expect(link(veth)).toMatchObject({
          ifindex: before.ifindex,
          flags: before.flags,
          mtu: before.mtu,
          address: before.address,
        });
        expect(link(peer, ns.name).flags).toContain('UP');
      } finally {
        await sw?.stop(); // idempotent; also removes the rundir
        // Should ofdp have left them behind (or died before the kernel could delete them).
        for (const t of [tap, bridge]) if (linkExists(t)) trySh(`ip link del ${t}`);
        topo.cleanup();
      }
    },
  );
});
