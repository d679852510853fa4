/*
 * The OpenFlow channel over an in-memory stream: negotiation against every HELLO variant of
 * clients.md §1, pipelining, echo, decode errors (whole message echoed, connection kept), framing
 * errors, the inactivity probe on a fake clock, and output coalescing.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OfpChannel, type ChannelCloseReason } from '../../src/openflow/channel/index.js';
import { decodeMessage, encodeMessage } from '../../src/openflow/codec.js';
import { OFPBRC, OFPET, OFPT } from '../../src/openflow/constants.js';
import { OfpDecodeError } from '../../src/openflow/decode-error.js';
import { matchAll } from '../../src/openflow/match.js';
import type { OfpMessage } from '../../src/openflow/messages.js';
import { FakeClock } from '../connmgr/fake-clock.js';
import { FakeStream, settle } from '../connmgr/fake-stream.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// HELLOs as the real clients send them (clients.md §1).
const HELLO_OFCTL = hex('01 00 0008 00000001'); // ovs-ofctl (no -O, or -O OpenFlow10)
const HELLO_OFCTL_10_13 = hex('04 00 0010 00000001 0001 0008 00000012'); // -O OpenFlow10,OpenFlow13
const HELLO_OFCTL_13 = hex('04 00 0010 00000001 0001 0008 00000010'); // -O OpenFlow13
const HELLO_TESTCONTROLLER = hex('06 00 0008 00000001'); // ovs-testcontroller: v6, no bitmap
const HELLO_OSKEN_13 = hex('04 00 0008 2a2a2a2a'); // os-ken apps [1.0, 1.3]: v4, no bitmap
const HELLO_OSKEN_10 = hex('01 00 0008 5b5b5b5b'); // os-ken test_add_flow_v10

const FEATURES_REQUEST = (xid: number): Buffer => encodeMessage({ type: OFPT.FEATURES_REQUEST, xid });
const SET_CONFIG = (xid: number): Buffer =>
  encodeMessage({ type: OFPT.SET_CONFIG, xid, flags: 0, miss_send_len: 128 });
const BARRIER = (xid: number): Buffer => encodeMessage({ type: OFPT.BARRIER_REQUEST, xid });

interface Harness {
  stream: FakeStream;
  channel: OfpChannel;
  clock: FakeClock;
  messages: { msg: OfpMessage; raw: Buffer }[];
  events: string[];
  closed: { reason: ChannelCloseReason; error?: Error }[];
}

function harness(probeIntervalMs = 5000): Harness {
  const stream = new FakeStream();
  const clock = new FakeClock();
  const channel = new OfpChannel(stream, { clock, probeIntervalMs });
  const h: Harness = { stream, channel, clock, messages: [], events: [], closed: [] };
  channel.on('open', () => h.events.push('open'));
  channel.on('message', (msg, raw) => {
    h.events.push(`msg:${msg.type}`);
    h.messages.push({ msg, raw: Buffer.from(raw) });
  });
  channel.on('close', (reason, error) => {
    h.events.push(`close:${reason}`);
    h.closed.push({ reason, error });
  });
  return h;
}

async function opened(): Promise<Harness> {
  const h = harness();
  h.stream.feed(HELLO_OFCTL);
  await settle();
  expect(h.channel.state).toBe('open');
  return h;
}

describe('hello', () => {
  it('sends an 8-byte OpenFlow 1.0 HELLO at once, before hearing from the peer', async () => {
    const h = harness();
    await settle();
    const out = h.stream.bytes();
    expect(out.length).toBe(8);
    expect(out.subarray(0, 4)).toEqual(hex('01 00 0008'));
    expect(h.channel.state).toBe('hello');
  });

  it.each([
    ['ovs-ofctl v1 plain', HELLO_OFCTL],
    ['ovs-ofctl 1.0+1.3 bitmap', HELLO_OFCTL_10_13],
    ['ovs-testcontroller v6 plain', HELLO_TESTCONTROLLER],
    ['os-ken v4 plain', HELLO_OSKEN_13],
    ['os-ken v1 plain', HELLO_OSKEN_10],
    ['v2 plain', hex('02 00 0008 00000009')],
    ['v1 with bitmap 0x02 (ours)', hex('01 00 0010 00000001 0001 0008 00000002')],
    [
      'v6 bitmap 0x42 after an unknown element',
      hex('06 00 0018 00000001 0007 0006 aaaa 0000 0001 0008 00000042'),
    ],
    ['v5 with a malformed (empty) bitmap: header version decides', hex('05 00 000c 00000001 0001 0004')],
  ])('negotiates 1.0 with %s', async (_name, hello) => {
    const h = harness();
    h.stream.feed(hello);
    await settle();
    expect(h.channel.state).toBe('open');
    expect(h.events).toEqual(['open']);
    expect(h.stream.rawMessages()).toHaveLength(1); // our HELLO only, no error
  });

  it('fails ovs-ofctl -O OpenFlow13 exactly as Open vSwitch does (v4 error, 82 bytes, xid 0) and closes', async () => {
    const h = harness();
    h.stream.feed(HELLO_OFCTL_13);
    await settle();
    const [, err] = h.stream.rawMessages();
    expect(err!.toString('hex')).toBe(
      '040100520000000000000000' +
        Buffer.from('We support version 0x01, you support version 0x04, no common versions.').toString('hex'),
    );
    expect(h.closed).toEqual([{ reason: 'hello-failed', error: undefined }]);
    expect(h.stream.ended).toBe(true);
  });

  it.each([
    ['a bitmap without bit 1', hex('06 00 0010 00000001 0001 0008 00000070'), 6, 'versions 0x04, 0x05, 0x06'],
    ['version 0 without bitmap', hex('00 00 0008 00000001'), 0, 'version 0x00'],
  ])('refuses %s with HELLO_FAILED in the peer version', async (_name, hello, version, versions) => {
    const h = harness();
    h.stream.feed(hello);
    await settle();
    const [, err] = h.stream.rawMessages();
    expect(err![0]).toBe(version);
    expect(err!.readUInt16BE(8)).toBe(OFPET.HELLO_FAILED);
    expect(err!.subarray(12).toString()).toContain(`you support ${versions}, no common versions.`);
    expect(h.channel.state).toBe('closed');
  });

  it('closes when the first message is not a HELLO, and ignores what follows', async () => {
    const h = harness();
    h.stream.feed(Buffer.concat([FEATURES_REQUEST(5), HELLO_OFCTL]));
    await settle();
    expect(h.closed.map((c) => c.reason)).toEqual(['no-hello']);
    expect(h.events).toEqual(['close:no-hello']);
  });

  it('ignores a second HELLO', async () => {
    const h = await opened();
    h.stream.feed(HELLO_OFCTL, BARRIER(3));
    expect(h.events).toEqual(['open', `msg:${OFPT.BARRIER_REQUEST}`]);
  });
});

describe('pipelining', () => {
  const segment = Buffer.concat([HELLO_TESTCONTROLLER, FEATURES_REQUEST(2), SET_CONFIG(3), BARRIER(4)]);

  it('delivers requests sent in the HELLO segment in order, after open, with their raw bytes', () => {
    const h = harness();
    h.stream.feed(segment);
    expect(h.events).toEqual(['open', 'msg:5', 'msg:9', 'msg:18']);
    expect(h.messages.map((m) => m.msg.xid)).toEqual([2, 3, 4]);
    expect(h.messages[1]!.raw).toEqual(SET_CONFIG(3));
    expect(h.messages[1]!.msg).toMatchObject({ type: OFPT.SET_CONFIG, miss_send_len: 128 });
  });

  it('gives the same result whatever the segment boundaries', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: segment.length - 1 }), { maxLength: 6 }),
        (cuts) => {
          const h = harness();
          const points = [0, ...cuts.sort((a, b) => a - b), segment.length];
          for (let i = 0; i + 1 < points.length; i++)
            h.stream.feed(segment.subarray(points[i], points[i + 1]));
          expect(h.events).toEqual(['open', 'msg:5', 'msg:9', 'msg:18']);
          expect(h.messages.map((m) => m.raw)).toEqual([FEATURES_REQUEST(2), SET_CONFIG(3), BARRIER(4)]);
        },
      ),
    );
  });

  it('lets an open listener see pipelined messages (attach in open, same tick)', () => {
    const stream = new FakeStream();
    const channel = new OfpChannel(stream, { clock: new FakeClock() });
    const seen: number[] = [];
    channel.on('open', () => channel.on('message', (m) => seen.push(m.xid)));
    stream.feed(segment);
    expect(seen).toEqual([2, 3, 4]);
  });
});

describe('echo', () => {
  it('answers ECHO_REQUEST itself with the same xid and payload, and does not emit it', async () => {
    const h = await opened();
    const payload = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff));
    h.stream.feed(encodeMessage({ type: OFPT.ECHO_REQUEST, xid: 0xdeadbeef, data: payload }));
    h.stream.feed(hex('01 02 0008 00000000')); // ovs-ofctl probe: xid 0, empty
    await settle();
    expect(h.stream.replies()).toEqual([
      { type: OFPT.ECHO_REPLY, xid: 0xdeadbeef, data: payload },
      { type: OFPT.ECHO_REPLY, xid: 0, data: Buffer.alloc(0) },
    ]);
    expect(h.events).toEqual(['open']);
  });

  it('does not emit ECHO_REPLY', async () => {
    const h = await opened();
    h.stream.feed(hex('01 03 000a 00000007 abcd'));
    expect(h.events).toEqual(['open']);
  });
});

describe('malformed messages', () => {
  function expectErrorFor(h: Harness, request: Buffer): void {
    let expected: OfpDecodeError | undefined;
    try {
      decodeMessage(request);
    } catch (e) {
      expected = e as OfpDecodeError;
    }
    expect(expected).toBeInstanceOf(OfpDecodeError);
    const [err] = h.stream.replies();
    expect(err).toEqual({
      type: OFPT.ERROR,
      version: 1,
      xid: request.readUInt32BE(4),
      err_type: expected!.errorType,
      code: expected!.errorCode,
      data: request,
    });
  }

  it('answers a flow mod with a bad action with the error and the whole message, and lives on', async () => {
    const h = await opened();
    const fm = encodeMessage({
      type: OFPT.FLOW_MOD,
      xid: 6,
      match: { ...matchAll(), wildcards: 0x3820ff },
      cookie: 0n,
      command: 0,
      idle_timeout: 0,
      hard_timeout: 0,
      priority: 0x8000,
      buffer_id: 0xffffffff,
      out_port: 0xffff,
      flags: 0,
      actions: [{ type: 0, port: 1, max_len: 0 }],
    } as OfpMessage);
    expect(fm.length).toBe(80);
    fm.writeUInt16BE(0x7777, 72); // unknown action type
    h.stream.feed(fm, BARRIER(7));
    await settle();
    expectErrorFor(h, fm);
    expect(h.events).toEqual(['open', 'msg:18']);
    expect(h.channel.state).toBe('open');
  });

  it('answers an unknown message type with BAD_TYPE', async () => {
    const h = await opened();
    const m = hex('01 63 0010 00000011 0102030405060708');
    h.stream.feed(m);
    await settle();
    expectErrorFor(h, m);
    expect(h.stream.replies()[0]).toMatchObject({ err_type: OFPET.BAD_REQUEST, code: OFPBRC.BAD_TYPE });
  });

  it('answers a non-1.0 message after negotiation with BAD_VERSION', async () => {
    const h = await opened();
    const m = hex('04 05 0008 00000021'); // an OpenFlow 1.3 FEATURES_REQUEST
    h.stream.feed(m, FEATURES_REQUEST(0x22));
    await settle();
    expectErrorFor(h, m);
    expect(h.stream.replies()[0]).toMatchObject({ err_type: OFPET.BAD_REQUEST, code: OFPBRC.BAD_VERSION });
    expect(h.messages.map((x) => x.msg.xid)).toEqual([0x22]);
  });

  it('caps the echoed message so the error fits in 65535 bytes', async () => {
    const h = await opened();
    const m = Buffer.alloc(65535, 0xab);
    hex('01 63 ffff 00000031').copy(m, 0);
    h.stream.feed(m);
    await settle();
    const [, err] = h.stream.rawMessages();
    expect(err!.length).toBe(65535);
    expect(err!.readUInt32BE(4)).toBe(0x31);
    expect(err!.subarray(12)).toEqual(m.subarray(0, 65535 - 12));
  });

  it('closes on a header length below 8, after answering what came before', async () => {
    const h = await opened();
    h.stream.feed(Buffer.concat([hex('01 02 0008 00000005'), hex('01 05 0004 00000006')]));
    await settle();
    expect(h.closed.map((c) => c.reason)).toEqual(['framing']);
    expect(h.stream.replies()).toEqual([{ type: OFPT.ECHO_REPLY, xid: 5, data: Buffer.alloc(0) }]);
    expect(h.stream.ended).toBe(true);
  });
});

describe('inactivity probe (fake clock)', () => {
  const echoRequests = (h: Harness): OfpMessage[] =>
    h.stream.replies().filter((m) => m.type === OFPT.ECHO_REQUEST);

  it('sends ECHO_REQUEST xid 0 after 5 s of silence and disconnects after another 5 s', async () => {
    const h = await opened();
    h.clock.advance(4999);
    await settle();
    expect(echoRequests(h)).toEqual([]);
    h.clock.advance(1);
    await settle();
    expect(echoRequests(h)).toEqual([{ type: OFPT.ECHO_REQUEST, xid: 0, data: Buffer.alloc(0) }]);
    h.clock.advance(4999);
    expect(h.channel.state).toBe('open');
    h.clock.advance(1);
    expect(h.closed.map((c) => c.reason)).toEqual(['inactivity']);
    expect(h.stream.destroyed).toBe(true);
  });

  it('any message counts as life: a reply keeps the connection, and silence is measured from it', async () => {
    const h = await opened();
    h.clock.advance(3000);
    h.stream.feed(BARRIER(1)); // activity at t=3000: no probe until t=8000
    h.clock.advance(4999);
    await settle();
    expect(echoRequests(h)).toHaveLength(0);
    h.clock.advance(1);
    await settle();
    expect(echoRequests(h)).toHaveLength(1);
    h.clock.advance(2000);
    h.stream.feed(hex('01 03 0008 00000000')); // the echo reply
    h.clock.advance(4999);
    await settle();
    expect(h.channel.state).toBe('open');
    expect(echoRequests(h)).toHaveLength(1);
    h.clock.advance(1); // 5 s after the reply: probe again
    await settle();
    expect(echoRequests(h)).toHaveLength(2);
    expect(h.closed).toEqual([]);
  });

  it('closes a peer that never sends its HELLO after two intervals, without probing it', async () => {
    const h = harness();
    await settle(); // our HELLO goes out
    h.clock.advance(9_999);
    expect(h.channel.state).toBe('hello');
    h.clock.advance(1);
    await settle();
    expect(h.closed.map((c) => c.reason)).toEqual(['inactivity']);
    expect(h.stream.rawMessages()).toHaveLength(1);
  });

  it('is disabled by an interval of 0', async () => {
    const h = harness(0);
    h.stream.feed(HELLO_OFCTL);
    h.clock.advance(60_000);
    await settle();
    expect(h.clock.pending).toEqual([]);
    expect(h.channel.state).toBe('open');
  });
});

describe('sending', () => {
  it('coalesces messages sent in one tick into one write, in order', async () => {
    const h = await opened();
    const before = h.stream.writes.length;
    h.channel.send({ type: OFPT.BARRIER_REPLY, xid: 1 });
    h.channel.sendRaw(encodeMessage({ type: OFPT.BARRIER_REPLY, xid: 2 }));
    h.channel.replyError(OFPET.BAD_REQUEST, OFPBRC.BAD_VENDOR, hex('01 04 000c 00000003 00002320'));
    expect(h.channel.queuedBytes).toBe(8 + 8 + 12 + 12);
    await settle();
    expect(h.stream.writes.length).toBe(before + 1);
    expect(h.stream.replies()).toEqual([
      { type: OFPT.BARRIER_REPLY, xid: 1 },
      { type: OFPT.BARRIER_REPLY, xid: 2 },
      {
        type: OFPT.ERROR,
        version: 1,
        xid: 3,
        err_type: 1,
        code: 3,
        data: hex('01 04 000c 00000003 00002320'),
      },
    ]);
    expect(h.channel.queuedBytes).toBe(0);
  });

  it('writes the replies to one received segment in a single write before the data event returns', async () => {
    const h = await opened();
    h.channel.on('message', (m) => h.channel.send({ type: OFPT.BARRIER_REPLY, xid: m.xid }));
    const before = h.stream.writes.length;
    h.stream.feed(Buffer.concat([BARRIER(7), BARRIER(8), BARRIER(9)]));
    // No settle(): nothing may wait for a microtask.
    expect(h.stream.writes.length).toBe(before + 1);
    expect(h.channel.queuedBytes).toBe(0);
    expect(h.stream.replies().slice(-3)).toEqual([7, 8, 9].map((xid) => ({ type: OFPT.BARRIER_REPLY, xid })));
    // Outside a receive, sending is coalesced at the next microtask as before.
    h.channel.send({ type: OFPT.BARRIER_REPLY, xid: 10 });
    expect(h.stream.writes.length).toBe(before + 1);
    await settle();
    expect(h.stream.writes.length).toBe(before + 2);
  });

  it('calls the owner receiver before message listeners, with the same arguments', async () => {
    const h = await opened();
    const order: string[] = [];
    h.channel.receiver = (msg, raw) => order.push(`receiver:${msg.xid}:${raw.length}`);
    h.channel.on('message', (msg) => order.push(`listener:${msg.xid}`));
    h.stream.feed(BARRIER(5));
    expect(order).toEqual(['receiver:5:8', 'listener:5']);
  });

  it('counts the stream queue in queuedBytes', async () => {
    const h = await opened();
    h.stream.writableLength = 1234;
    expect(h.channel.queuedBytes).toBe(1234);
  });

  it('keeps order when a large buffer is written directly', async () => {
    const h = await opened();
    const big = encodeMessage({ type: OFPT.ECHO_REPLY, xid: 9, data: Buffer.alloc(10_000, 1) });
    h.channel.send({ type: OFPT.BARRIER_REPLY, xid: 8 });
    h.channel.sendRaw(big);
    h.channel.send({ type: OFPT.BARRIER_REPLY, xid: 10 });
    await settle();
    expect(h.stream.replies().map((m) => m.xid)).toEqual([8, 9, 10]);
  });

  it('rejects a message over 64 KiB without sending anything', async () => {
    const h = await opened();
    expect(() => h.channel.send({ type: OFPT.ECHO_REPLY, xid: 1, data: Buffer.alloc(70_000) })).toThrow(
      RangeError,
    );
    await settle();
    expect(h.stream.replies()).toEqual([]);
  });

  it('close() flushes what was queued, ends the stream, and reports once', async () => {
    const h = await opened();
    h.channel.send({ type: OFPT.BARRIER_REPLY, xid: 1 });
    h.channel.close();
    h.stream.emit('close');
    h.channel.send({ type: OFPT.BARRIER_REPLY, xid: 2 });
    await settle();
    expect(h.stream.replies()).toEqual([{ type: OFPT.BARRIER_REPLY, xid: 1 }]);
    expect(h.closed.map((c) => c.reason)).toEqual(['local']);
    expect(h.stream.ended).toBe(true);
  });

  it('reports eof when the peer closes, and error for a stream error', async () => {
    const a = await opened();
    a.stream.emit('close');
    expect(a.closed.map((c) => c.reason)).toEqual(['eof']);
    const b = await opened();
    const boom = new Error('ECONNRESET');
    b.stream.emit('error', boom);
    b.stream.emit('close');
    expect(b.closed).toEqual([{ reason: 'error', error: boom }]);
  });

  it('closes with reason internal when a message listener throws', async () => {
    const h = await opened();
    const bug = new Error('bridge bug');
    h.channel.on('message', () => {
      throw bug;
    });
    h.stream.feed(Buffer.concat([BARRIER(1), BARRIER(2)]));
    expect(h.closed).toEqual([{ reason: 'internal', error: bug }]);
    expect(h.messages.map((m) => m.msg.xid)).toEqual([1]);
  });
});
