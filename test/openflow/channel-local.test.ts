/*
 * The channel's own answers (ECHO_REPLY, OFPT_ERROR for what fails to decode) with and without an
 * owner hook: without one they go out at once, in the same write as the segment's other replies;
 * with `localRequest` set the channel hands them over in arrival order instead, and
 * answerLocally() later produces exactly the bytes the channel would have sent.
 */
import { describe, expect, it } from 'vitest';
import { LOCAL_ECHO, OfpChannel, type ChannelCloseReason } from '../../src/openflow/channel/channel.js';
import { decodeMessage, encodeMessage } from '../../src/openflow/codec.js';
import { OFPT } from '../../src/openflow/constants.js';
import { OfpDecodeError } from '../../src/openflow/decode-error.js';
import { FakeClock } from '../connmgr/fake-clock.js';
import { FakeStream, settle } from '../connmgr/fake-stream.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const HELLO = hex('01 00 0008 00000001');
const BARRIER = (xid: number): Buffer => encodeMessage({ type: OFPT.BARRIER_REQUEST, xid });
const ECHO = (xid: number): Buffer => encodeMessage({ type: OFPT.ECHO_REQUEST, xid, data: hex('c0ffee') });
/** A STATS_REQUEST of unknown type 99: fails to decode. */
const BAD_STATS = (xid: number): Buffer => {
  const b = hex('01 10 000c 00000000 0063 0000');
  b.writeUInt32BE(xid, 4);
  return b;
};
const NON_10 = hex('04 05 0008 00000061'); // an OpenFlow 1.3 FEATURES_REQUEST after negotiation

function decodeErrorOf(raw: Buffer): OfpDecodeError {
  try {
    decodeMessage(raw);
  } catch (e) {
    if (e instanceof OfpDecodeError) return e;
  }
  throw new Error('expected a decode error');
}

function open(probeIntervalMs = 0): {
  stream: FakeStream;
  channel: OfpChannel;
  clock: FakeClock;
  closed: ChannelCloseReason[];
} {
  const stream = new FakeStream();
  const clock = new FakeClock();
  const channel = new OfpChannel(stream, { clock, probeIntervalMs });
  const closed: ChannelCloseReason[] = [];
  channel.on('close', (r) => closed.push(r));
  stream.feed(HELLO);
  expect(channel.state).toBe('open');
  return { stream, channel, clock, closed };
}

/** The segment both kinds of test feed: decoded and channel-answered messages interleaved. */
const SEGMENT = (): Buffer[] => [BARRIER(0x21), BAD_STATS(0x31), ECHO(0x41), NON_10, BARRIER(0x71)];

describe('channel answers without an owner hook', () => {
  it('answers echoes and decode errors at once, in arrival order, in the single write of the segment', async () => {
    const { stream, channel } = open();
    await settle(); // our HELLO
    channel.receiver = (msg) => channel.send({ type: OFPT.BARRIER_REPLY, xid: msg.xid });
    const before = stream.writes.length;
    stream.feed(Buffer.concat(SEGMENT()));
    // No settle(): everything is written before the data event returns, in one write.
    expect(stream.writes.length).toBe(before + 1);
    expect(stream.replies().map((m) => [m.type, m.xid])).toEqual([
      [OFPT.BARRIER_REPLY, 0x21],
      [OFPT.ERROR, 0x31],
      [OFPT.ECHO_REPLY, 0x41],
      [OFPT.ERROR, 0x61],
      [OFPT.BARRIER_REPLY, 0x71],
    ]);
  });
});

describe('channel answers with an owner hook (localRequest)', () => {
  it('hands echoes and undecodable messages to the owner in arrival order and sends nothing itself', async () => {
    const { stream, channel } = open();
    await settle();
    const seen: string[] = [];
    channel.receiver = (msg, raw) => seen.push(`msg ${msg.xid.toString(16)} ${raw.length}`);
    channel.localRequest = (raw, t, c) => seen.push(`local ${raw.readUInt32BE(4).toString(16)} ${t} ${c}`);
    const before = stream.writes.length;
    stream.feed(Buffer.concat(SEGMENT()));
    await settle();
    expect(stream.writes.length).toBe(before);
    const bad = decodeErrorOf(BAD_STATS(0x31));
    const non10 = decodeErrorOf(NON_10);
    expect(seen).toEqual([
      'msg 21 8',
      `local 31 ${bad.errorType} ${bad.errorCode}`,
      `local 41 ${LOCAL_ECHO} 0`,
      `local 61 ${non10.errorType} ${non10.errorCode}`,
      'msg 71 8',
    ]);
  });

  it('answerLocally, called later, sends the same bytes the channel sends on its own', async () => {
    const plain = open();
    await settle();
    plain.stream.feed(BAD_STATS(0x31), ECHO(0x41), NON_10);
    await settle();

    const owned = open();
    await settle();
    const held: [Buffer, number, number][] = [];
    owned.channel.localRequest = (raw, t, c) => held.push([raw, t, c]);
    owned.stream.feed(BAD_STATS(0x31), ECHO(0x41), NON_10);
    await settle();
    expect(owned.stream.rawMessages()).toHaveLength(1); // just our HELLO
    for (const [raw, t, c] of held) owned.channel.answerLocally(raw, t, c);
    await settle();
    // Our HELLOs differ in xid only; everything after them must be identical.
    expect(owned.stream.rawMessages().slice(1)).toEqual(plain.stream.rawMessages().slice(1));
    expect(plain.stream.rawMessages()).toHaveLength(4);
  });

  it('counts a message handed to the owner as activity for the inactivity probe', async () => {
    const { stream, channel, clock, closed } = open(5000);
    channel.localRequest = () => {}; // never answered
    clock.advance(4000);
    stream.feed(ECHO(1));
    clock.advance(4999);
    await settle();
    // Silence is measured from the echo at t=4000: no probe yet.
    expect(stream.replies().filter((m) => m.type === OFPT.ECHO_REQUEST)).toHaveLength(0);
    clock.advance(1);
    await settle();
    expect(stream.replies().filter((m) => m.type === OFPT.ECHO_REQUEST)).toHaveLength(1);
    expect(closed).toEqual([]);
  });

  it('closes with reason internal when the hook throws', async () => {
    const { stream, channel, closed } = open();
    channel.localRequest = () => {
      throw new Error('owner bug');
    };
    stream.feed(ECHO(1));
    expect(closed).toEqual(['internal']);
  });

  it('answerLocally is ignored once the channel is closed', async () => {
    const { stream, channel } = open();
    const held: [Buffer, number, number][] = [];
    channel.localRequest = (raw, t, c) => held.push([raw, t, c]);
    stream.feed(ECHO(1));
    await settle();
    const n = stream.writes.length;
    channel.close();
    for (const [raw, t, c] of held) channel.answerLocally(raw, t, c);
    await settle();
    expect(stream.writes.length).toBe(n);
  });
});
