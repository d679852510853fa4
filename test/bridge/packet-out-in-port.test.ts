/*
 * Which in_port a PACKET_OUT may name, and what a bad one draws, on ofdp and on a real Open vSwitch
 * 3.1 (raw OpenFlow 1.0 over the bridge's management socket, the same bytes to both).
 *
 * Measured on OVS: any number below OFPP_MAX (0xff00) is accepted, whether or not the port exists,
 * and so are LOCAL, CONTROLLER and NONE; 0xff00-0xfff7, IN_PORT, TABLE, NORMAL, FLOOD and ALL are
 * refused with OFPBRC_BAD_PORT, which OpenFlow 1.0 has no code for, so OVS sends it as a Nicira
 * vendor error (type 0xb0c2, code 0, data 00002320 0001 0202 then the request). Action faults come
 * first, the buffer_id after. Every case checks that the barrier behind it is answered.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OfpAction } from '../../src/openflow/actions.js';
import { encodeMessage } from '../../src/openflow/codec.js';
import { OFPAT, OFPP, OFPT, OFP_NO_BUFFER } from '../../src/openflow/constants.js';
import { errorName } from '../../src/openflow/decode-error.js';
import type { OfpMessage } from '../../src/openflow/messages.js';
import { printBytes } from '../../src/openflow/print/index.js';
import { ovsUnavailableReason, startOvs, type OvsHandle } from '../support/ovs/index.js';
import { conn, dummyBridge, out, send } from './helpers.js';
import { OvsRawClient } from './ovs-raw-client.js';

const skip = ovsUnavailableReason();
if (skip) console.warn(`\n*** SKIPPING the Open vSwitch half of the PACKET_OUT in_port tests: ${skip} ***\n`);

const XID = 0x77;
const BAD_PORT = 'OFPBRC_BAD_PORT';
const VENDOR: OfpAction = { type: OFPAT.VENDOR, vendor: 0x1234, body: Buffer.alloc(0) };

function frame(): Buffer {
  const f = Buffer.alloc(60);
  f.writeUIntBE(0xffffffffffff, 0, 6);
  f.writeUIntBE(0x020000000001, 6, 6);
  f.writeUInt16BE(0x0800, 12);
  return f;
}

interface Case {
  name: string;
  in_port: number;
  actions?: OfpAction[];
  buffer_id?: number;
  /** 'ok' or the error name. */
  answer: string;
}

const hex = (n: number) => `0x${n.toString(16)}`;

const inPortCases: Case[] = [
  ...[0, 1, 5, 0xfeff, OFPP.CONTROLLER, OFPP.LOCAL, OFPP.NONE].map((in_port) => ({
    name: `in_port ${hex(in_port)}`,
    in_port,
    answer: 'ok',
  })),
  ...[OFPP.MAX, 0xff50, 0xfff7, OFPP.IN_PORT, OFPP.TABLE, OFPP.NORMAL, OFPP.FLOOD, OFPP.ALL].map(
    (in_port) => ({
      name: `in_port ${hex(in_port)}`,
      in_port,
      answer: BAD_PORT,
    }),
  ),
];

const CASES: Case[] = [
  ...inPortCases,
  ...inPortCases.map((c) => ({ ...c, name: `${c.name}, output to TABLE`, actions: [out(OFPP.TABLE)] })),
  {
    name: 'in_port 0xff50 and output to NONE',
    in_port: 0xff50,
    actions: [out(OFPP.NONE)],
    answer: 'OFPBAC_BAD_OUT_PORT',
  },
  {
    name: 'in_port TABLE and a vendor action',
    in_port: OFPP.TABLE,
    actions: [VENDOR],
    answer: 'OFPBAC_BAD_VENDOR',
  },
  {
    name: 'in_port 0xff50 and output to IN_PORT',
    in_port: 0xff50,
    actions: [out(OFPP.IN_PORT)],
    answer: BAD_PORT,
  },
  { name: 'in_port 0xff50 and an unknown buffer_id', in_port: 0xff50, buffer_id: 0x3039, answer: BAD_PORT },
  {
    name: 'in_port 1 and an unknown buffer_id',
    in_port: 1,
    buffer_id: 0x3039,
    answer: 'OFPBRC_BUFFER_UNKNOWN',
  },
];

function message(c: Case): OfpMessage {
  return {
    type: OFPT.PACKET_OUT,
    xid: XID,
    buffer_id: c.buffer_id ?? OFP_NO_BUFFER,
    in_port: c.in_port,
    actions: c.actions ?? [],
    data: c.buffer_id === undefined ? frame() : Buffer.alloc(0),
  };
}

/** Nicira error names by [type, code], as OVS numbers them for OpenFlow 1.0. */
const NX_NAMES: Record<string, string> = { '1,514': BAD_PORT };

function answerOf(replies: readonly OfpMessage[]): string {
  expect(replies.filter((m) => m.type !== OFPT.ERROR)).toEqual([]);
  if (replies.length === 0) return 'ok';
  expect(replies).toHaveLength(1);
  const e = replies[0]!;
  if (e.type !== OFPT.ERROR) throw new Error('unreachable');
  expect(e.xid).toBe(XID);
  if (e.err_type === 0xb0c2) {
    expect([e.code, e.data.readUInt32BE(0)]).toEqual([0, 0x2320]);
    return NX_NAMES[`${e.data.readUInt16BE(4)},${e.data.readUInt16BE(6)}`] ?? 'unknown Nicira error';
  }
  return errorName(e.err_type, e.code);
}

/** ofdp: a bridge on two dummy ports; the case's bytes through the path a socket uses. */
async function onOfdp(c: Case): Promise<{ answer: string; raw: Buffer[] }> {
  const { bridge } = dummyBridge({ name: 'poi0', failMode: 'secure' }, 'p1', 'p2');
  const { c: lc, got } = conn();
  bridge.connect(lc);
  await send(bridge, lc, message(c));
  await send(bridge, lc, { type: OFPT.BARRIER_REQUEST, xid: 0xba });
  expect(got.at(-1)).toMatchObject({ type: OFPT.BARRIER_REPLY, xid: 0xba });
  const replies = got.slice(0, -1).filter((m) => m.type !== OFPT.PACKET_IN);
  return { answer: answerOf(replies), raw: replies.map((m) => encodeMessage(m)) };
}

describe('PACKET_OUT in_port: ofdp gives the answers measured on Open vSwitch', () => {
  it.each(CASES)('$name → $answer', async (c) => {
    expect((await onOfdp(c)).answer).toBe(c.answer);
  });

  it('the error carries the whole request after the Nicira header, with its xid', async () => {
    const c = inPortCases.find((x) => x.in_port === OFPP.TABLE)!;
    const [raw] = (await onOfdp(c)).raw;
    const request = encodeMessage(message(c));
    expect(raw!.subarray(0, 20).toString('hex')).toBe(
      `0101${(20 + request.length).toString(16).padStart(4, '0')}00000077b0c200000000232000010202`,
    );
    expect(raw!.subarray(20).equals(request)).toBe(true);
  });
});

describe.skipIf(skip !== undefined)('PACKET_OUT in_port: Open vSwitch still answers so', () => {
  let ovs: OvsHandle;
  let client: OvsRawClient;

  beforeAll(async () => {
    ovs = await startOvs();
    const br = await ovs.addBridge('poo0');
    client = await OvsRawClient.connect(br.mgmtTarget);
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await ovs?.stop();
  });

  it.each(CASES)('$name → $answer', async (c) => {
    // exchange() resolves on the barrier reply: the connection outlived the refusal.
    const replies = await client.exchange(message(c));
    expect(answerOf(replies.map((r) => r.m))).toBe(c.answer);
  });

  it('ofdp sends the very bytes OVS sends, and prints them as ovs-ofctl does', async () => {
    for (const c of inPortCases.filter((x) => x.answer === BAD_PORT)) {
      const [theirs] = await client.exchange(message(c));
      const [ours] = (await onOfdp(c)).raw;
      expect(ours!.toString('hex')).toBe(theirs!.raw.toString('hex'));
    }
    const [err] = (await onOfdp(inPortCases.find((x) => x.in_port === OFPP.IN_PORT)!)).raw;
    const { stdout } = await promisify(execFile)('ovs-ofctl', ['ofp-print', err!.toString('hex')]);
    expect(printBytes(err!).trimEnd()).toBe(stdout.trimEnd());
  });
});
