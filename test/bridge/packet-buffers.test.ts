/*
 * Packet buffers (src/bridge/packet-buffers.ts), checked against what Open vSwitch's pktbuf does:
 * a 5 s guard before a slot is overwritten, nothing expiring by age, a reused slot making the old id
 * unknown, and no id ever equal to OFP_NO_BUFFER. The unit half drives PacketBuffers with a fake
 * clock; the bridge half shows what a controller sees when every buffer is busy.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_COOKIE, N_BUFFERS, OVERWRITE_MS, PacketBuffers } from '../../src/bridge/packet-buffers.js';
import { DatapathError } from '../../src/datapath/errors.js';
import { OFPBRC, OFPET, OFPP, OFPT, OFP_NO_BUFFER } from '../../src/openflow/constants.js';
import type { MessageOf } from '../../src/openflow/messages.js';
import { connected, dummyBridge, send } from './helpers.js';

class Clock {
  ms = 1_000_000;
  readonly now = () => this.ms;
}

const frame = (n: number) => Buffer.alloc(60, n & 0xff);

/** The OpenFlow error take(id) throws, as [type, code]. */
function takeError(b: PacketBuffers, id: number): [number, number] | 'ok' {
  try {
    b.take(id);
    return 'ok';
  } catch (e) {
    if (!(e instanceof DatapathError)) throw e;
    return [e.errorType, e.errorCode];
  }
}

const UNKNOWN: [number, number] = [OFPET.BAD_REQUEST, OFPBRC.BUFFER_UNKNOWN];
const EMPTY: [number, number] = [OFPET.BAD_REQUEST, OFPBRC.BUFFER_EMPTY];

/** Fills every slot once; returns the ids in slot order. */
function fillAll(b: PacketBuffers): number[] {
  return Array.from({ length: N_BUFFERS }, (_, i) => b.save(frame(i), 1));
}

describe('PacketBuffers', () => {
  it('hands out slot | cookie << 8, and takes each packet once (then BUFFER_EMPTY)', () => {
    const b = new PacketBuffers(new Clock().now);
    const id = b.save(frame(7), 3);
    expect(id).toBe((1 << 8) | 0);
    expect(b.take(id)).toEqual({ frame: frame(7), inPort: 3 });
    expect(takeError(b, id)).toEqual(EMPTY);
  });

  it('never-issued ids are BUFFER_UNKNOWN, cookie 0 and OFP_NO_BUFFER included', () => {
    const b = new PacketBuffers(new Clock().now);
    b.save(frame(1), 1);
    for (const id of [0, 5, 0x3039, (2 << 8) | 0, OFP_NO_BUFFER]) expect(takeError(b, id)).toEqual(UNKNOWN);
  });

  it('a slot filled less than 5 s ago is not overwritten: the packet-in goes unbuffered', () => {
    const clock = new Clock();
    const b = new PacketBuffers(clock.now);
    const ids = fillAll(b);
    expect(new Set(ids).size).toBe(N_BUFFERS);
    // Every slot is busy and young: each further save is refused, however many times it is tried.
    clock.ms += OVERWRITE_MS - 1;
    for (let i = 0; i < 2 * N_BUFFERS; i++) expect(b.save(frame(0), 1)).toBe(OFP_NO_BUFFER);
    // The refused saves changed nothing: every packet is still there.
    expect(b.take(ids[17]!)).toEqual({ frame: frame(17), inPort: 1 });
  });

  it('nothing expires by age: a packet is still there long after OVERWRITE_MS until its slot is reused', () => {
    const clock = new Clock();
    const b = new PacketBuffers(clock.now);
    const id = b.save(frame(1), 2);
    clock.ms += 3_600_000;
    expect(b.take(id)).toEqual({ frame: frame(1), inPort: 2 });
  });

  it('after 5 s a slot is reused: the old id becomes BUFFER_UNKNOWN, the new one works', () => {
    const clock = new Clock();
    const b = new PacketBuffers(clock.now);
    const old = fillAll(b);
    clock.ms += OVERWRITE_MS;
    const fresh = b.save(frame(99), 4);
    expect(fresh).not.toBe(OFP_NO_BUFFER);
    expect(fresh & 0xff).toBe(old[0]! & 0xff);
    expect(fresh >>> 8).toBe((old[0]! >>> 8) + 1);
    expect(takeError(b, old[0]!)).toEqual(UNKNOWN);
    expect(b.take(fresh)).toEqual({ frame: frame(99), inPort: 4 });
    // The next slot's packet, not overwritten, is still there.
    expect(b.take(old[1]!)).toEqual({ frame: frame(1), inPort: 1 });
  });

  it('a taken slot is reused at once when the cursor reaches it, as in OVS (the cursor moves on every save)', () => {
    const clock = new Clock();
    const b = new PacketBuffers(clock.now);
    const ids = fillAll(b);
    b.take(ids[3]!);
    // Slots 0..2 are busy: three refusals, then slot 3 takes the packet.
    expect([0, 1, 2, 3].map(() => b.save(frame(42), 1) === OFP_NO_BUFFER)).toEqual([true, true, true, false]);
  });

  it('never hands out 0xffffffff: a cookie wraps from 0xfffffe to 1, skipping 0xffffff', () => {
    const b = new PacketBuffers(new Clock().now, MAX_COOKIE - 1);
    const round = () => {
      const ids = fillAll(b);
      for (const id of ids) b.take(id);
      return ids;
    };
    // Slot 255 with cookie 0xffffff would be 0xffffffff, OFP_NO_BUFFER.
    expect(round().at(-1)).toBe(0xfffffeff);
    const wrapped = round();
    expect(wrapped.at(-1)).toBe(0x000001ff);
    expect(wrapped[0]).toBe(0x00000100);
    expect(round().at(-1)).toBe(0x000002ff);
    // The ids of the round before the wrap are unknown now, not mistaken for live ones.
    expect(takeError(b, 0xfffffeff)).toEqual(UNKNOWN);
    expect(takeError(b, OFP_NO_BUFFER)).toEqual(UNKNOWN);
  });

  it('property: ids are never OFP_NO_BUFFER, and a live id always gives back its own packet', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constant('save' as const),
            fc.constant('take' as const),
            fc.integer({ min: 0, max: 6000 }),
          ),
          {
            maxLength: 600,
          },
        ),
        (ops) => {
          const clock = new Clock();
          const b = new PacketBuffers(clock.now);
          const live = new Map<number, number>();
          let n = 0;
          for (const op of ops) {
            if (op === 'save') {
              const id = b.save(frame(n), n & 0xffff);
              if (id !== OFP_NO_BUFFER) {
                expect(id >>> 8).not.toBe(0xffffff);
                // A reused slot drops the packet that was there.
                for (const k of live.keys()) if ((k & 0xff) === (id & 0xff)) live.delete(k);
                live.set(id, n);
              }
              n++;
            } else if (op === 'take') {
              const first = live.keys().next();
              if (first.done) continue;
              const want = live.get(first.value)!;
              live.delete(first.value);
              expect(b.take(first.value)).toEqual({ frame: frame(want), inPort: want & 0xffff });
            } else clock.ms += op;
          }
        },
      ),
    );
  });
});

describe('packet-in when every buffer is busy', () => {
  it('sends the whole frame with buffer_id OFP_NO_BUFFER, and buffers again once a slot is free', async () => {
    const clock = new Clock();
    const { bridge, p1 } = dummyBridge({ name: 'pb0', failMode: 'secure', now: clock.now }, 'p1', 'p2');
    const { c, got } = connected(bridge);
    await send(bridge, c, { type: OFPT.SET_CONFIG, xid: 1, flags: 0, miss_send_len: 20 });
    const big = (n: number) => {
      const f = Buffer.alloc(100, n);
      f.writeUIntBE(0x020000000002, 0, 6);
      f.writeUIntBE(0x020000000001, 6, 6);
      f.writeUInt16BE(0x0800, 12);
      return f;
    };
    const miss = (n: number) => {
      p1.receive(big(n));
      p1.drainReceived();
      const m = got.at(-1) as MessageOf<typeof OFPT.PACKET_IN>;
      expect(m.type).toBe(OFPT.PACKET_IN);
      return m;
    };
    const first = miss(0);
    for (let i = 1; i < N_BUFFERS; i++) {
      const m = miss(i);
      expect(m.buffer_id).not.toBe(OFP_NO_BUFFER);
      expect(m.data).toHaveLength(20);
    }
    const unbuffered = miss(7);
    expect(unbuffered).toMatchObject({ buffer_id: OFP_NO_BUFFER, total_len: 100, in_port: 1 });
    expect(unbuffered.data.equals(big(7))).toBe(true);
    // The controller releases the first buffered packet; the cursor comes round to its slot again.
    await send(bridge, c, {
      type: OFPT.PACKET_OUT,
      xid: 2,
      buffer_id: first.buffer_id,
      in_port: OFPP.NONE,
      actions: [],
      data: Buffer.alloc(0),
    });
    expect(got.filter((m) => m.type === OFPT.ERROR)).toEqual([]);
    const seen: number[] = [];
    for (let i = 0; i < N_BUFFERS; i++) seen.push(miss(9).buffer_id);
    expect(seen.filter((id) => id !== OFP_NO_BUFFER)).toEqual([(2 << 8) | (first.buffer_id & 0xff)]);
    // Five seconds on, every slot may be overwritten again.
    clock.ms += 5000;
    expect(miss(10).buffer_id).not.toBe(OFP_NO_BUFFER);
  });
});
