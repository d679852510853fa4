/*
 * One contract, run against every provider: dummy always; tap, internal and system (both receive
 * paths) on real devices. Each rig pairs the device with its far end: for the dummy its test tool,
 * for a tap a packet socket on the tap's kernel side, for a system port a packet socket on the other
 * end of a veth pair.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DummyProvider } from '../../src/netdev/dummy.js';
import { Netdev } from '../../src/netdev/netdev.js';
import { RX_BATCH_MAX, type NetdevDevice } from '../../src/netdev/provider.js';
import { Collector } from './collector.js';
import { isTestFrame, quiet, skipReason, testFrame, trySh, uniqueName, vethPair } from './helpers.js';
import type { PacketPeer } from './packet-peer.js';
import { withDeadline } from '../support/waiters.js';

interface Rig {
  dev: NetdevDevice;
  /** Makes the device receive these frames. */
  inject(frames: Buffer[]): void;
  /** A frame the device transmitted, as the far end saw it. */
  nextSent(pred: (f: Buffer) => boolean): Promise<Buffer>;
  cleanup(): Promise<void>;
}

async function dummyRig(): Promise<Rig> {
  const dev = await new DummyProvider().open(uniqueName('d'));
  const got: Buffer[] = [];
  return {
    dev,
    inject: (frames) => dev.receive(...frames),
    nextSent: (pred) =>
      withDeadline(
        (async () => {
          for (;;) {
            got.push(...dev.takeSent());
            const i = got.findIndex(pred);
            if (i >= 0) return got.splice(i, 1)[0]!;
            await dev.waitSent(1);
          }
        })(),
        3000,
        'timed out: dummy transmit',
      ),
    cleanup: () => dev.close(),
  };
}

async function peerRig(dev: NetdevDevice, peer: PacketPeer, cleanup: () => void): Promise<Rig> {
  const consumed = new Set<Buffer>();
  return {
    dev,
    inject: (frames) => peer.send(...frames),
    nextSent: async (pred) => {
      const f = await peer.next((x) => !consumed.has(x) && pred(x));
      consumed.add(f);
      return f;
    },
    cleanup: async () => {
      await dev.close();
      peer.close();
      cleanup();
    },
  };
}

async function tapRig(type: 'tap' | 'internal'): Promise<Rig> {
  const { PacketPeer } = await import('./packet-peer.js');
  const name = uniqueName('t');
  const provider =
    type === 'tap'
      ? new (await import('../../src/netdev/linux/tap.js')).TapProvider()
      : new (await import('../../src/netdev/linux/internal.js')).InternalProvider();
  const dev = await provider.open(name);
  quiet(name);
  return peerRig(dev, new PacketPeer(name), () => {});
}

async function systemRig(rx: 'ring' | 'mmsg'): Promise<Rig> {
  const { PacketPeer } = await import('./packet-peer.js');
  const { SystemProvider } = await import('../../src/netdev/linux/system.js');
  const { a, b } = vethPair();
  const dev = await new SystemProvider().open(a, { rx });
  return peerRig(dev, new PacketPeer(b), () => trySh(`ip link del ${a}`));
}

const noDevices = skipReason();
const rigs: [string, boolean, () => Promise<Rig>][] = [
  ['dummy', true, dummyRig],
  ['tap', !noDevices, () => tapRig('tap')],
  ['internal', !noDevices, () => tapRig('internal')],
  ['system (TPACKET_V3 ring)', !noDevices, () => systemRig('ring')],
  ['system (recvmmsg)', !noDevices, () => systemRig('mmsg')],
];

/** Resolves when `cond` holds, re-checking on each change notification. */
function whenChanged(dev: NetdevDevice, cond: () => boolean, what: string): Promise<void> {
  if (cond()) return Promise.resolve();
  return withDeadline(
    new Promise<void>((resolve) => {
      const off = dev.onChange(() => {
        if (cond()) {
          off();
          resolve();
        }
      });
    }),
    3000,
    `timed out: ${what}`,
  );
}

for (const [label, enabled, make] of rigs) {
  describe.skipIf(!enabled)(`netdev contract: ${label}`, () => {
    let rig: Rig;
    let rx: Collector;
    let dev: NetdevDevice;
    let src: number;

    beforeAll(async () => {
      rig = await make();
      dev = rig.dev;
      rx = new Collector(dev);
      src = 0x02_00_00_00_00_00 + ((process.pid * 256 + Math.floor(Math.random() * 256)) % 0xffffffff);
    });
    afterAll(async () => {
      await rig?.cleanup();
    });

    it('identifies itself and answers every getter through the wrapper', () => {
      const n = new Netdev(dev);
      expect(n.name).toBe(dev.name);
      expect(['dummy', 'tap', 'internal', 'system']).toContain(n.type);
      const mac = n.getEtherAddr();
      expect(Number.isInteger(mac) && mac > 0 && mac < 2 ** 48).toBe(true);
      expect(typeof n.changeSeq()).toBe('number');
      const f = n.getFeatures();
      for (const v of [f.curr, f.advertised, f.supported, f.peer]) expect(v >>> 0).toBe(v);
      expect(n.getStats()).toBeDefined();
      expect(n.getAddresses()).toHaveProperty('in4');
    });

    it('delivers received frames byte-exact, in order, in bounded batches', async () => {
      const sizes = [60, 64, 128, 333, 1000, 1514];
      const frames = Array.from({ length: 200 }, (_, i) =>
        testFrame(src, 1000 + i, sizes[i % sizes.length]!),
      );
      const mine = (f: Buffer): boolean => isTestFrame(f) && f.readUIntBE(6, 6) === src;
      rig.inject(frames.slice(0, 100));
      rig.inject(frames.slice(100));
      await rx.count(200, mine);
      const got = rx.frames.filter(mine);
      expect(got.length).toBe(200);
      for (let i = 0; i < 200; i++) expect(got[i]!.equals(frames[i]!)).toBe(true);
      expect(rx.maxBatch).toBeLessThanOrEqual(RX_BATCH_MAX);
    });

    it('transmits byte-exact and copies each frame at send()', async () => {
      const frames = Array.from({ length: 100 }, (_, i) => testFrame(src + 1, 5000 + i, 60 + i * 7));
      const scratch = Buffer.alloc(2048);
      for (const f of frames) {
        f.copy(scratch, 100);
        dev.send(scratch, 100, f.length);
        scratch.fill(0xee); // the device must have copied already
      }
      dev.flush();
      for (let i = 0; i < frames.length; i++) {
        const tag = 5000 + i;
        const f = await rig.nextSent((x) => isTestFrame(x) && x.readUInt32BE(14) === tag);
        expect(f.equals(frames[i]!)).toBe(true);
      }
    });

    it('passes VLAN-tagged frames both ways byte-exact (802.1Q and 802.1ad)', async () => {
      const tag = (t: number, tpid: number, tci: number): Buffer => {
        const f = testFrame(src + 4, t, 96);
        return Buffer.concat([
          f.subarray(0, 12),
          Buffer.from([tpid >> 8, tpid & 0xff, tci >> 8, tci & 0xff]),
          f.subarray(12),
        ]);
      };
      const tagOf = (x: Buffer): number =>
        x.length >= 22 && x.readUInt16BE(16) === 0x88b5 ? x.readUInt32BE(18) : -1;
      const frames = [tag(7001, 0x8100, 0x0064), tag(7002, 0x8100, 0xa00a), tag(7003, 0x88a8, 0x0123)];
      rig.inject(frames);
      for (const f of frames) expect((await rx.next((x) => tagOf(x) === tagOf(f))).equals(f)).toBe(true);
      const out = [tag(7101, 0x8100, 0x0fff), tag(7102, 0x8100, 0x2000)];
      for (const f of out) dev.send(f, 0, f.length);
      dev.flush();
      for (const f of out) expect((await rig.nextSent((x) => tagOf(x) === tagOf(f))).equals(f)).toBe(true);
    });

    it('counts what it sends and receives', async () => {
      const before = dev.getStats!();
      const out = Array.from({ length: 10 }, (_, i) => testFrame(src + 2, 9000 + i, 100));
      for (const f of out) dev.send(f, 0, f.length);
      dev.flush();
      await rig.nextSent((x) => isTestFrame(x) && x.readUInt32BE(14) === 9009);
      const inj = Array.from({ length: 10 }, (_, i) => testFrame(src + 3, 9100 + i, 100));
      rig.inject(inj);
      await rx.next((x) => isTestFrame(x) && x.readUInt32BE(14) === 9109);
      const after = dev.getStats!();
      expect(after.tx_packets - before.tx_packets).toBeGreaterThanOrEqual(10n);
      expect(after.tx_bytes - before.tx_bytes).toBeGreaterThanOrEqual(1000n);
      expect(after.rx_packets - before.rx_packets).toBeGreaterThanOrEqual(10n);
      expect(after.rx_bytes - before.rx_bytes).toBeGreaterThanOrEqual(1000n);
    });

    it('changes MTU and MAC, moving changeSeq and notifying', async () => {
      const seq0 = dev.changeSeq();
      let fired = 0;
      const off = dev.onChange(() => fired++);
      await dev.setMtu!(1400);
      expect(dev.getMtu!()).toBe(1400);
      await whenChanged(dev, () => fired > 0, 'MTU notification');
      expect(dev.changeSeq()).toBeGreaterThan(seq0);
      const seq1 = dev.changeSeq();
      await dev.setEtherAddr!(0x02_00_5e_aa_bb_cc);
      expect(dev.getEtherAddr()).toBe(0x02_00_5e_aa_bb_cc);
      await whenChanged(dev, () => dev.changeSeq() > seq1, 'MAC change');
      off();
      const n = fired;
      await dev.setMtu!(1500);
      expect(fired).toBe(n); // unsubscribed
    });

    it('takes the link down and up, and sets promiscuity', async () => {
      await dev.setFlags!({ up: false });
      expect(dev.getFlags!().up).toBe(false);
      await whenChanged(dev, () => !dev.getCarrier(), 'carrier off when down');
      await dev.setFlags!({ up: true });
      expect(dev.getFlags!().up).toBe(true);
      await whenChanged(dev, () => dev.getCarrier(), 'carrier back when up');
      // Still receiving after the down/up cycle (AF_PACKET reports ENETDOWN meanwhile). The far end
      // of a veth may drop for a moment after carrier returns (its qdisc is re-activated by the
      // kernel's link-watch work, asynchronously), so a lost probe is sent again.
      let ok = false;
      for (let attempt = 0; attempt < 10 && !ok; attempt++) {
        const f = testFrame(src + 5, 7700 + attempt, 80);
        rig.inject([f]);
        const got = await rx
          .next((x) => isTestFrame(x) && x.readUInt32BE(14) === 7700 + attempt, 300)
          .catch(() => undefined);
        ok = got !== undefined && got.equals(f);
      }
      expect(ok).toBe(true);
      await dev.setFlags!({ promisc: true });
      expect(dev.getFlags!().promisc).toBe(true);
      await dev.setFlags!({ promisc: false });
      expect(dev.getFlags!().promisc).toBe(false);
    });
  });
}
