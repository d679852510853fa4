/*
 * Devices moved to another network namespace under a running switch (`ip link set X netns NS`).
 * The kernel announces the move as RTM_DELLINK carrying IFLA_NEW_NETNSID; the device is not gone.
 * A tap's fd keeps working, so a tap port must survive the move and its state must be followed
 * there (the issue #5 topology: a host namespace joined to ofdp by a tap moved into it), though
 * not changed there (the kernel honours IFLA_TARGET_NETNSID for reads, not for changes). An
 * AF_PACKET socket bound to the ifindex cannot follow, so a system port reports its device gone.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Netns, linkExists, skipReason, trySh, uniqueName, vethPair } from './helpers.js';
import { isTestFrame, testFrame } from './helpers.js';
import { waitFor } from '../support/ovs/tools.js';

const noDevices = skipReason();

interface Counters {
  stats64: { rx: { packets: number }; tx: { packets: number } };
  flags: string[];
}
function linkIn(ns: Netns, name: string): Counters {
  return (JSON.parse(ns.exec(`ip -s -j link show dev ${name}`)) as Counters[])[0]!;
}

describe.skipIf(!!noDevices)('devices moved to another network namespace', () => {
  const spaces: Netns[] = [];
  const links: string[] = [];
  afterAll(() => {
    for (const l of links) if (linkExists(l)) trySh(`ip link del ${l}`);
    for (const ns of spaces) ns.delete();
  });

  it('a tap keeps existing, carries frames both ways, and its state is followed there', async () => {
    const { TapProvider } = await import('../../src/netdev/linux/tap.js');
    const ns = new Netns();
    spaces.push(ns);
    const name = uniqueName('tm');
    links.push(name);
    const dev = await new TapProvider().open(name);
    const changes: number[] = [];
    dev.onChange(() => changes.push(dev.changeSeq()));
    const rx: Buffer[] = [];
    dev.startReceive((b) => {
      for (let i = 0; i < b.count; i++)
        rx.push(Buffer.from(b.bufs[i]!.subarray(b.offs[i]!, b.offs[i]! + b.lens[i]!)));
    });
    try {
      trySh(`ip link set ${name} netns ${ns.name}`);
      expect(linkExists(name)).toBe(false);
      // Moving brings it down; we learn of that, and it still exists for us.
      await waitFor('the move to be seen', () => changes.length > 0 && !dev.getFlags().up, 5000);
      expect(dev.exists()).toBe(true);

      ns.exec(`sysctl -qw net.ipv6.conf.${name}.disable_ipv6=1`);
      ns.exec(`ip link set ${name} up`);
      await waitFor(
        'the tap to be seen up in its namespace',
        () => dev.getFlags().up && dev.getCarrier(),
        5000,
      );

      // Frames we send arrive in the namespace (the kernel's rx of the tap there).
      const before = linkIn(ns, name).stats64.rx.packets;
      for (let i = 0; i < 3; i++) {
        const f = testFrame(0x020000000001, i);
        dev.send(f, 0, f.length);
      }
      dev.flush();
      expect(linkIn(ns, name).stats64.rx.packets - before).toBe(3);
      // ...and counters are read from where the device lives now (rx/tx from the switch's side).
      expect(Number(dev.getStats().tx_packets)).toBeGreaterThanOrEqual(3);

      // Frames sent in the namespace reach us: an ARP request from an address on the tap.
      ns.exec(`ip addr add 10.77.0.1/24 dev ${name}`);
      trySh(`ip netns exec ${ns.name} ping -c 1 -W 0.3 10.77.0.2`);
      await waitFor('a frame from the namespace', () => rx.some((f) => f.readUInt16BE(12) === 0x0806), 5000);
      expect(rx.some(isTestFrame)).toBe(false);

      // Changing it there is refused cleanly (the kernel reads across namespaces, never writes).
      await expect(dev.setFlags({ up: false })).rejects.toMatchObject({ errno: 'EOPNOTSUPP' });
      expect(linkIn(ns, name).flags).toContain('UP');
      expect(dev.getFlags().up).toBe(true);
    } finally {
      await dev.close();
    }
    // Closing our (non-persistent) tap deletes it in the namespace it lives in.
    expect(trySh(`ip -n ${ns.name} link show dev ${name}`)).toBeUndefined();
  });

  it('a system port whose device is moved away reports it gone', async () => {
    const { SystemProvider } = await import('../../src/netdev/linux/system.js');
    const ns = new Netns();
    spaces.push(ns);
    const { a } = vethPair();
    links.push(a);
    const dev = await new SystemProvider().open(a);
    try {
      expect(dev.exists()).toBe(true);
      trySh(`ip link set ${a} netns ${ns.name}`);
      await waitFor('the system device to be reported gone', () => !dev.exists(), 5000);
    } finally {
      await dev.close();
    }
  });
});
