/*
 * Netlink framing and rtnetlink parsing, against byte vectors and a scripted peer (no kernel):
 * malformed input never throws, FreeBSD-style replies with few attributes parse, IFLA_STATS64 at a
 * 4-byte (not 8-byte) aligned offset reads correctly, requests keep the header fields FreeBSD
 * checks at zero, interrupted dumps are repeated and ENOBUFS is reported as an overrun.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NlBuilder,
  NLM_F,
  NLMSG,
  parseAttrs,
  parseMessages,
  type NlMessage,
} from '../../src/netdev/linux/netlink.js';
import { NetlinkSocket, type NetlinkIo } from '../../src/netdev/linux/netlink-socket.js';
import {
  IFF,
  IFLA,
  RTM,
  Rtnetlink,
  getLinkRequest,
  parseAddr,
  parseLink,
  setLinkRequest,
} from '../../src/netdev/linux/rtnetlink.js';
import { NetdevError } from '../../src/netdev/provider.js';

function ifinfo(ifindex: number, flags: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeInt32LE(ifindex, 4);
  b.writeUInt32LE(flags, 8);
  return b;
}

function msgOf(buf: Buffer): NlMessage {
  const m = parseMessages(buf, buf.length)[0];
  if (!m) throw new Error('no message');
  return m;
}

/** A scripted kernel: answers each sent request with the next list of datagrams. */
class ScriptIo implements NetlinkIo {
  readonly fd = -1;
  readonly sent: Buffer[] = [];
  private queue: Buffer[] = [];
  private err = 0;
  constructor(private readonly replies: ((seq: number) => Buffer[])[]) {}
  send(msg: Buffer): number {
    this.sent.push(msg);
    const r = this.replies.shift();
    if (r) this.queue.push(...r(msg.readUInt32LE(8)));
    return msg.length;
  }
  recv(buf: Buffer): number {
    const d = this.queue.shift();
    if (!d) {
      this.err = 11;
      return -1;
    }
    if (d.length === 0) {
      this.err = 105; // ENOBUFS
      return -1;
    }
    d.copy(buf);
    return d.length;
  }
  errno(): number {
    return this.err;
  }
  close(): void {}
}

function reply(type: number, flags: number, seq: number, body: Buffer): Buffer {
  const b = Buffer.alloc(16 + body.length);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(flags, 6);
  b.writeUInt32LE(seq, 8);
  body.copy(b, 16);
  return b;
}

function linkBody(ifindex: number, name: string, mtu: number): Buffer {
  return new NlBuilder(0, 0)
    .raw(ifinfo(ifindex, IFF.UP))
    .str(IFLA.IFNAME, name)
    .u32(IFLA.MTU, mtu)
    .finish(0)
    .subarray(16);
}

const done = (seq: number, flags = NLM_F.MULTI): Buffer => reply(NLMSG.DONE, flags, seq, Buffer.alloc(4));
const ack = (seq: number, errno = 0): Buffer => {
  const b = Buffer.alloc(20);
  b.writeInt32LE(-errno, 0);
  return reply(NLMSG.ERROR, 0, seq, b);
};

describe('netlink framing', () => {
  it('builds a request with its length, type, flags, sequence and aligned attributes', () => {
    const m = new NlBuilder(RTM.GETLINK, NLM_F.REQUEST | NLM_F.ACK)
      .raw(ifinfo(7, 0))
      .str(IFLA.IFNAME, 'abc')
      .finish(42);
    expect(m.readUInt32LE(0)).toBe(m.length);
    expect(m.length % 4).toBe(0);
    expect(m.readUInt16LE(4)).toBe(RTM.GETLINK);
    expect(m.readUInt16LE(6)).toBe(NLM_F.REQUEST | NLM_F.ACK);
    expect(m.readUInt32LE(8)).toBe(42);
    const a = parseAttrs(m, 32, m.length);
    expect(a.get(IFLA.IFNAME)).toEqual([36, 4]); // "abc\0"
  });

  it('never throws on random bytes and never points outside the buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const buf = Buffer.from(bytes);
        for (const m of parseMessages(buf, buf.length)) {
          expect(m.off).toBeGreaterThanOrEqual(16);
          expect(m.end).toBeLessThanOrEqual(buf.length);
          for (const [, [off, len]] of parseAttrs(buf, m.off, m.end))
            expect(off + len).toBeLessThanOrEqual(m.end);
          parseLink(m);
          parseAddr(m);
        }
      }),
    );
  });

  it('keeps ifi_type, ifi_flags and ifi_change zero in get requests (FreeBSD rejects others)', () => {
    const m = getLinkRequest(5).finish(1);
    expect(m.readUInt16LE(18)).toBe(0);
    expect(m.readUInt32LE(24)).toBe(0);
    expect(m.readUInt32LE(28)).toBe(0);
    const set = setLinkRequest(5, { up: false, promisc: true }).finish(2);
    expect(set.readUInt32LE(24)).toBe(IFF.PROMISC);
    expect(set.readUInt32LE(28)).toBe(IFF.UP | IFF.PROMISC);
  });
});

describe('rtnetlink parsing', () => {
  it('parses a link with only the attributes FreeBSD sends, leaving the rest undefined', () => {
    const mac = Buffer.from('0200aabbccdd', 'hex');
    const b = new NlBuilder(RTM.NEWLINK, 0)
      .raw(ifinfo(3, IFF.UP | IFF.RUNNING))
      .str(IFLA.IFNAME, 'em0')
      .attr(IFLA.ADDRESS, mac)
      .u32(IFLA.MTU, 1500)
      .attr(999, Buffer.alloc(3))
      .finish(0);
    const l = parseLink(msgOf(b))!;
    expect(l).toMatchObject({ ifindex: 3, name: 'em0', mtu: 1500, mac: 0x0200aabbccdd });
    expect(l.operstate).toBeUndefined();
    expect(l.carrier).toBeUndefined();
    expect(l.stats).toBeUndefined();
  });

  it('reads IFLA_STATS64 at a 4-byte-aligned offset, with counters above 2^32', () => {
    const stats = Buffer.alloc(24 * 8);
    const vals = [5000000000n, 7n, 123456789012n, 99n, 1n, 2n, 3n, 4n, 0n, 9n, 0n, 11n, 12n, 13n];
    vals.forEach((v, i) => stats.writeBigUInt64LE(v, i * 8));
    // An 8-byte attribute before it puts the STATS64 payload at 16 + 16 + 12 + 4 = 48 + 4 → ≡ 4 mod 8.
    const b = new NlBuilder(RTM.NEWLINK, 0)
      .raw(ifinfo(1, 0))
      .u32(IFLA.MTU, 9000)
      .u32(IFLA.TXQLEN, 1)
      .attr(IFLA.STATS64, stats)
      .finish(0);
    const m = msgOf(b);
    const at = parseAttrs(m.buf, m.off + 16, m.end).get(IFLA.STATS64)!;
    expect(at[0] % 8).toBe(4);
    const s = parseLink(m)!.stats!;
    expect(s.rx_packets).toBe(5000000000n);
    expect(s.rx_bytes).toBe(123456789012n);
    expect(s.tx_bytes).toBe(99n);
    expect([s.rx_errors, s.tx_errors, s.rx_dropped, s.tx_dropped]).toEqual([1n, 2n, 3n, 4n]);
    expect([s.collisions, s.rx_over_err, s.rx_crc_err, s.rx_frame_err]).toEqual([9n, 11n, 12n, 13n]);
  });

  it('formats IPv4 and IPv6 addresses', () => {
    const addr = (family: number, plen: number, raw: string): string => {
      const h = Buffer.alloc(8);
      h[0] = family;
      h[1] = plen;
      h.writeUInt32LE(4, 4);
      return parseAddr(
        msgOf(new NlBuilder(RTM.NEWADDR, 0).raw(h).attr(1, Buffer.from(raw, 'hex')).finish(0)),
      )!.address;
    };
    expect(addr(2, 24, 'c0000201')).toBe('192.0.2.1');
    expect(addr(10, 64, '20010db8000000000000000000000077')).toBe('2001:db8::77');
    expect(addr(10, 128, '00000000000000000000000000000001')).toBe('::1');
    expect(addr(10, 64, 'fe800000000000000000000000000001')).toBe('fe80::1');
    expect(addr(10, 64, '00010002000300040005000600070008')).toBe('1:2:3:4:5:6:7:8');
    expect(addr(10, 64, '20010db8000000010000000000000001')).toBe('2001:db8:0:1::1');
  });
});

describe('netlink socket protocol (scripted peer)', () => {
  it('repeats a dump the kernel marked NLM_F_DUMP_INTR', () => {
    const io = new ScriptIo([
      (seq) => [
        reply(RTM.NEWLINK, NLM_F.MULTI | NLM_F.DUMP_INTR, seq, linkBody(1, 'stale', 1500)),
        done(seq),
      ],
      (seq) => [
        reply(RTM.NEWLINK, NLM_F.MULTI, seq, linkBody(1, 'lo', 65536)),
        reply(RTM.NEWLINK, NLM_F.MULTI, seq, linkBody(2, 'eth0', 1500)),
        done(seq),
      ],
    ]);
    const nl = new NetlinkSocket(0, [], io);
    const links = new Rtnetlink(nl).dumpLinks();
    expect(links.map((l) => l.name)).toEqual(['lo', 'eth0']);
    expect(nl.dumpRetries).toBe(1);
    expect(io.sent.length).toBe(2);
  });

  it('skips replies to other sequence numbers and turns a negative ack into NetdevError', () => {
    const io = new ScriptIo([
      (seq) => [
        reply(RTM.NEWLINK, 0, seq - 1, linkBody(9, 'old', 1)),
        reply(RTM.NEWLINK, 0, seq, linkBody(4, 'em0', 1500)),
        ack(seq),
      ],
      (seq) => [ack(seq, 19)],
    ]);
    const rt = new Rtnetlink(new NetlinkSocket(0, [], io));
    expect(rt.getLink(4).name).toBe('em0');
    let err: unknown;
    try {
      rt.getLink(77);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NetdevError);
    expect((err as NetdevError).errno).toBe('ENODEV');
  });

  it('reports lost events (ENOBUFS) as an overrun, after delivering what it could', () => {
    const io = new ScriptIo([]);
    const nl = new NetlinkSocket(0, [1], io);
    (io as unknown as { queue: Buffer[] }).queue.push(
      reply(RTM.NEWLINK, 0, 0, linkBody(3, 'x', 1)),
      Buffer.alloc(0),
    );
    const got: number[] = [];
    expect(nl.readEvents((m) => got.push(m.type))).toBe('overrun');
    expect(got).toEqual([RTM.NEWLINK]);
    expect(nl.readEvents(() => {})).toBe('ok');
  });
});
