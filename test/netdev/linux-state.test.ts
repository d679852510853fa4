/*
 * What Linux devices report agrees with the system's own tools: `ip -j link` (MAC, MTU, flags,
 * counters), `ip addr`, and `ethtool` (features); changes made with `ip link` reach onChange within
 * 100 ms; lost notifications (ENOBUFS) are recovered by a resync.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFPPF } from '../../src/openflow/constants.js';
import type { NetdevDevice } from '../../src/netdev/provider.js';
import {
  ipLink,
  isTestFrame,
  macString,
  quiet,
  sh,
  skipReason,
  testFrame,
  trySh,
  uniqueName,
  vethPair,
} from './helpers.js';
import { Collector } from './collector.js';
import type { PacketPeer } from './packet-peer.js';

const noDevices = skipReason();

function run(cmd: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd[0]!, cmd.slice(1), { stdio: 'ignore' });
    p.on('exit', (code) =>
      code === 0 ? resolve(performance.now()) : reject(new Error(`${cmd.join(' ')}: ${code}`)),
    );
  });
}

function when(dev: NetdevDevice, cond: () => boolean, what: string, ms = 2000): Promise<number> {
  return new Promise((resolve, reject) => {
    if (cond()) return resolve(performance.now());
    const t = setTimeout(() => {
      off();
      reject(new Error(`timed out: ${what}`));
    }, ms);
    const off = dev.onChange(() => {
      if (!cond()) return;
      clearTimeout(t);
      off();
      resolve(performance.now());
    });
  });
}

/** Features from `ethtool NAME`, mapped independently of the code under test. */
function ethtoolCurr(name: string): number {
  const out = sh(`ethtool ${name}`);
  const speed = /Speed: (\d+)Mb\/s/.exec(out)?.[1];
  const duplex = /Duplex: (\w+)/.exec(out)?.[1];
  const port = /Port: ([^\n]+)/.exec(out)?.[1]?.trim();
  const autoneg = /Auto-negotiation: on/.test(out);
  const full = duplex !== 'Half';
  const bySpeed: Record<string, number> = {
    '10': full ? OFPPF['10MB_FD'] : OFPPF['10MB_HD'],
    '100': full ? OFPPF['100MB_FD'] : OFPPF['100MB_HD'],
    '1000': full ? OFPPF['1GB_FD'] : OFPPF['1GB_HD'],
    '10000': OFPPF['10GB_FD'],
  };
  let f = speed ? (bySpeed[speed] ?? 0) : 0;
  if (port === 'Twisted Pair') f |= OFPPF.COPPER;
  if (port === 'FIBRE') f |= OFPPF.FIBER;
  if (autoneg) f |= OFPPF.AUTONEG;
  return f;
}

describe.skipIf(!!noDevices)('Linux device state against ip and ethtool', () => {
  let a: string;
  let b: string;
  let tapName: string;
  let sys: NetdevDevice;
  let tap: NetdevDevice;
  let peer: PacketPeer;
  let sysRx: Collector;

  beforeAll(async () => {
    ({ a, b } = vethPair());
    const { SystemProvider } = await import('../../src/netdev/linux/system.js');
    const { TapProvider } = await import('../../src/netdev/linux/tap.js');
    const { PacketPeer } = await import('./packet-peer.js');
    sys = await new SystemProvider().open(a);
    sysRx = new Collector(sys);
    peer = new PacketPeer(b);
    tapName = uniqueName('ts');
    tap = await new TapProvider().open(tapName);
    quiet(tapName);
  });
  afterAll(async () => {
    await sys?.close();
    await tap?.close();
    peer?.close();
    trySh(`ip link del ${a}`);
  });

  it('features agree with ethtool (a veth is 10GB-FD COPPER, as Open vSwitch shows it)', () => {
    expect(sys.getFeatures!().curr).toBe(ethtoolCurr(a));
    expect(sys.getFeatures!().curr).toBe(OFPPF['10GB_FD'] | OFPPF.COPPER);
    expect(tap.getFeatures!().curr).toBe(ethtoolCurr(tapName));
    expect(sys.getFeatures!().supported).toBe(0); // "Supported link modes: Not reported"
  });

  it('ETHTOOL_GLINKSETTINGS and the ETHTOOL_GSET fallback read the same link', async () => {
    const { readLink, linkToFeatures } = await import('../../src/netdev/linux/ethtool.js');
    for (const name of [a, tapName]) {
      const modern = readLink(name);
      const legacy = readLink(name, true);
      expect(legacy).toEqual(modern);
      expect(linkToFeatures(legacy)).toEqual(name === a ? sys.getFeatures!() : tap.getFeatures!());
    }
  });

  it('identity and link facts agree with ip link', () => {
    for (const [dev, name] of [
      [sys, a],
      [tap, tapName],
    ] as const) {
      const l = ipLink(name);
      expect(dev.getIfindex!()).toBe(l.ifindex);
      expect(macString(dev.getEtherAddr())).toBe(l.address);
      expect(dev.getMtu!()).toBe(l.mtu);
      expect(dev.getFlags!().up).toBe(l.flags.includes('UP'));
      expect(dev.getCarrier()).toBe(l.flags.includes('LOWER_UP') && l.flags.includes('UP'));
    }
  });

  it('changes made through ofdp show in ip link', async () => {
    await sys.setMtu!(1280);
    await sys.setEtherAddr!(0x02_12_34_56_78_9a);
    await sys.setFlags!({ promisc: true });
    let l = ipLink(a);
    expect(l.mtu).toBe(1280);
    expect(l.address).toBe('02:12:34:56:78:9a');
    expect(l.flags).toContain('PROMISC');
    await sys.setFlags!({ up: false, promisc: false });
    l = ipLink(a);
    expect(l.flags).not.toContain('UP');
    expect(l.flags).not.toContain('PROMISC');
    await sys.setFlags!({ up: true });
    await sys.setMtu!(1500);
    expect(ipLink(a).flags).toContain('UP');
    await tap.setMtu!(1400);
    expect(ipLink(tapName).mtu).toBe(1400);
  });

  it('an `ip link set down` reaches onChange within 100 ms, as do MTU and MAC changes', async () => {
    const down = when(sys, () => !sys.getFlags!().up, 'down');
    const exited = run(['ip', 'link', 'set', a, 'down']);
    const [tDown, tExit] = await Promise.all([down, exited]);
    expect(tDown - tExit).toBeLessThan(100);
    const up = when(sys, () => sys.getFlags!().up && sys.getCarrier(), 'up');
    await run(['ip', 'link', 'set', a, 'up']);
    await up;
    const seq = sys.changeSeq();
    const mtu = when(sys, () => sys.getMtu!() === 1234, 'mtu');
    const tExit2 = await run(['ip', 'link', 'set', a, 'mtu', '1234']);
    expect((await mtu) - tExit2).toBeLessThan(100);
    expect(sys.changeSeq()).toBeGreaterThan(seq);
    const mac = when(tap, () => macString(tap.getEtherAddr()) === '02:aa:bb:cc:dd:ee', 'mac');
    await run(['ip', 'link', 'set', tapName, 'address', '02:aa:bb:cc:dd:ee']);
    await mac;
    await sys.setMtu!(1500);
  });

  it('addresses added and removed with ip addr are reported', async () => {
    // Host routes (/32, /128) from ranges nothing here uses, so the machine's own routing is
    // never disturbed, even for the moment they exist.
    trySh(`sysctl -qw net.ipv6.conf.${a}.disable_ipv6=0`);
    const has4 = (): boolean =>
      sys.getAddresses!().in4.some((x) => x.address === '198.18.77.77' && x.prefixLength === 32);
    const has6 = (): boolean =>
      sys.getAddresses!().in6.some((x) => x.address === 'fdaa:bb::77' && x.prefixLength === 128);
    const added = when(sys, () => has4() && has6(), 'addresses');
    sh(`ip addr add 198.18.77.77/32 dev ${a} && ip -6 addr add fdaa:bb::77/128 dev ${a} nodad`);
    await added;
    const removed = when(sys, () => !has4() && !has6(), 'addresses removed');
    sh(`ip addr del 198.18.77.77/32 dev ${a} && ip -6 addr del fdaa:bb::77/128 dev ${a}`);
    await removed;
    quiet(a);
  });

  it('counters agree with ip -s -j link (a tap reports them from the switch side)', async () => {
    const src = 0x02_00_77_00_00_00 + (process.pid & 0xffff);
    peer.send(...Array.from({ length: 20 }, (_, i) => testFrame(src, 300 + i, 80)));
    for (let i = 0; i < 15; i++) sys.send(testFrame(src + 1, 400 + i, 90), 0, 90);
    sys.flush();
    await sysRx.count(20, (f) => isTestFrame(f) && f.readUIntBE(6, 6) === src);
    await peer.next((f) => isTestFrame(f) && f.readUInt32BE(14) === 414);
    for (let i = 0; i < 7; i++) tap.send(testFrame(src + 2, 500 + i, 70), 0, 70);
    tap.flush();
    const check = (dev: NetdevDevice, name: string, swap: boolean): void => {
      for (let attempt = 0; ; attempt++) {
        const before = dev.getStats!();
        const k = ipLink(name).stats64!;
        const after = dev.getStats!();
        if (
          JSON.stringify(before, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) !==
            JSON.stringify(after, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) &&
          attempt < 5
        )
          continue; // traffic moved the counters between the reads
        const [rx, tx] = swap ? [k.tx, k.rx] : [k.rx, k.tx];
        expect(after.rx_packets).toBe(BigInt(rx.packets));
        expect(after.tx_packets).toBe(BigInt(tx.packets));
        expect(after.rx_bytes).toBe(BigInt(rx.bytes));
        expect(after.tx_bytes).toBe(BigInt(tx.bytes));
        expect(after.rx_errors).toBe(BigInt(rx.errors));
        expect(after.tx_errors).toBe(BigInt(tx.errors));
        expect(after.rx_dropped).toBe(BigInt(rx.dropped));
        expect(after.tx_dropped).toBe(BigInt(tx.dropped));
        return;
      }
    };
    check(sys, a, false);
    expect(sys.getStats!().rx_packets).toBeGreaterThanOrEqual(20n);
    check(tap, tapName, true);
    expect(tap.getStats!().tx_packets).toBeGreaterThanOrEqual(7n);
  });

  it('drops and counts a frame too big for the link, and keeps sending the rest', async () => {
    const before = sys.getStats!().tx_dropped;
    const big = testFrame(0x02_00_66_00_00_01, 601, 4000); // MTU is 1500
    const ok = testFrame(0x02_00_66_00_00_01, 602, 200);
    sys.send(big, 0, big.length);
    sys.send(ok, 0, ok.length);
    sys.flush();
    expect((await peer.next((f) => isTestFrame(f) && f.readUInt32BE(14) === 602)).equals(ok)).toBe(true);
    expect(sys.getStats!().tx_dropped - before).toBe(1n);
    expect(peer.received.some((f) => isTestFrame(f) && f.readUInt32BE(14) === 601)).toBe(false);
  });

  it('a system port holds a promiscuity reference only while open, leaving the PROMISC flag alone', async () => {
    const { SystemProvider } = await import('../../src/netdev/linux/system.js');
    const v = vethPair();
    try {
      expect(ipLink(v.a).promiscuity).toBe(0);
      const dev = await new SystemProvider().open(v.a);
      expect(ipLink(v.a).promiscuity).toBe(1);
      expect(dev.getFlags!().promisc).toBe(false); // the administrator's flag, not our reference
      await dev.close();
      expect(ipLink(v.a).promiscuity).toBe(0);
    } finally {
      trySh(`ip link del ${v.a}`);
    }
  });

  it('recovers from lost notifications (ENOBUFS) with a full resync', async () => {
    const { LinkMonitor } = await import('../../src/netdev/linux/link-monitor.js');
    const ffi = await import('../../src/netdev/linux/ffi.js');
    const mon = LinkMonitor.acquire();
    try {
      // The smallest receive buffer the kernel allows holds only a couple of notifications.
      ffi.setsockoptInt(mon.events.fd, ffi.SOL_SOCKET, ffi.SO_RCVBUF, 1);
      const resyncs = mon.resyncs;
      const cmds = Array.from({ length: 60 }, (_, i) => `link set ${a} mtu ${1300 + i}`).join('\n');
      const final = when(sys, () => sys.getMtu!() === 1359, 'mtu after resync');
      // Synchronous on purpose: the event loop is blocked while the kernel overflows the socket.
      sh(`printf '${cmds}\\n' | ip -batch -`);
      await final;
      expect(mon.resyncs).toBeGreaterThan(resyncs);
      ffi.setsockoptInt(mon.events.fd, ffi.SOL_SOCKET, ffi.SO_RCVBUF, 4 << 20);
    } finally {
      mon.release();
    }
    await sys.setMtu!(1500);
  });
});
