/*
 * The embedded learning controller against ofdp's bridge on dummy ports, through the in-process link:
 * every message crosses as encoded bytes, so this exercises the codec both ways.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Bridge } from '../../src/bridge/bridge.js';
import { LearningController, type ControllerEvent } from '../../src/demo/learning-controller.js';
import { linkLocal, type LocalLink } from '../../src/demo/local-link.js';
import { DummyDevice } from '../../src/netdev/dummy.js';
import { Netdev } from '../../src/netdev/netdev.js';
import { decodeMessage } from '../../src/openflow/codec.js';
import { OFPAT, OFPFW, OFPP, OFPT, OFP_NO_BUFFER } from '../../src/openflow/constants.js';
import { matchAll } from '../../src/openflow/match.js';
import type { OfpMessage } from '../../src/openflow/messages.js';

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const BCAST = 'ff:ff:ff:ff:ff:ff';

function frame(dst: string, src: string, tag = 0): Buffer {
  const b = Buffer.alloc(60);
  Buffer.from(dst.replaceAll(':', ''), 'hex').copy(b, 0);
  Buffer.from(src.replaceAll(':', ''), 'hex').copy(b, 6);
  b.writeUInt16BE(0x88b5, 12);
  b[14] = tag;
  return b;
}

interface Lab {
  bridge: Bridge;
  ports: DummyDevice[];
  ctl: LearningController;
  link: LocalLink;
  /** Messages the controller sent, decoded from the bytes it produced. */
  sent: OfpMessage[];
  events: ControllerEvent[];
}

let labs: Lab[] = [];
afterEach(async () => {
  for (const l of labs) {
    l.link.close();
    await l.bridge.close();
  }
  labs = [];
});

async function lab(missSendLen = 128): Promise<Lab> {
  const bridge = new Bridge({ name: 'demo', datapathId: 0x1234n });
  const ports = [1, 2, 3].map((i) => new DummyDevice(`p${i}`, { mac: 0x020000000100 + i }));
  for (const [i, d] of ports.entries()) bridge.addPort(new Netdev(d), i + 1);
  const sent: OfpMessage[] = [];
  const events: ControllerEvent[] = [];
  // eslint-disable-next-line prefer-const -- the controller and the link refer to each other
  let link: LocalLink;
  const ctl = new LearningController(
    (bytes) => {
      sent.push(decodeMessage(bytes));
      link.write(bytes);
    },
    { missSendLen, onEvent: (e) => events.push(e) },
  );
  link = linkLocal(bridge, (bytes) => ctl.receive(bytes));
  ctl.start();
  await ctl.features();
  await link.settled();
  const l = { bridge, ports, ctl, link, sent, events };
  labs.push(l);
  return l;
}

describe('LearningController', () => {
  it('opens like ovs-testcontroller: HELLO, FEATURES_REQUEST, SET_CONFIG miss_send_len=128', async () => {
    const { sent, ctl } = await lab();
    expect(sent.slice(0, 3).map((m) => m.type)).toEqual([OFPT.HELLO, OFPT.FEATURES_REQUEST, OFPT.SET_CONFIG]);
    const sc = sent[2]!;
    expect(sc.type === OFPT.SET_CONFIG && sc.miss_send_len).toBe(128);
    expect(ctl.datapathId).toBe(0x1234n);
    expect(ctl.ports.map((p) => p.port_no).sort()).toEqual([1, 2, 3]);
  });

  it('floods unknown destinations, learns, and installs exact flows that release buffered packets', async () => {
    const { bridge, ports, ctl, sent } = await lab();
    const [p1, p2, p3] = ports as [DummyDevice, DummyDevice, DummyDevice];

    // A → broadcast on port 1: learnt, flooded to 2 and 3 by a buffered PACKET_OUT.
    p1.receive(frame(BCAST, A, 1));
    await Promise.all([p2.waitSent(1), p3.waitSent(1)]);
    expect(p2.takeSent()[0]![14]).toBe(1);
    expect(p3.takeSent()[0]![14]).toBe(1);
    expect(p1.takeSent()).toEqual([]);
    expect(ctl.macs.get(0x02000000000a)).toBe(1);
    const flood = sent.find((m) => m.type === OFPT.PACKET_OUT);
    expect(flood?.type === OFPT.PACKET_OUT && flood.buffer_id).not.toBe(OFP_NO_BUFFER);
    expect(flood?.type === OFPT.PACKET_OUT && flood.data.length).toBe(0);
    expect(flood?.type === OFPT.PACKET_OUT && flood.actions).toEqual([
      { type: OFPAT.OUTPUT, port: OFPP.FLOOD, max_len: 0 },
    ]);

    // B → A on port 2: A is known, so an exact flow to port 1 carrying the packet-in's buffer id,
    // and no PACKET_OUT: the flow-mod itself releases the buffered packet.
    const outsBefore = sent.filter((m) => m.type === OFPT.PACKET_OUT).length;
    p2.receive(frame(A, B, 2));
    await p1.waitSent(1);
    expect(p1.takeSent()[0]![14]).toBe(2);
    expect(p3.takeSent()).toEqual([]);
    const fm = sent.find((m) => m.type === OFPT.FLOW_MOD);
    if (fm?.type !== OFPT.FLOW_MOD) throw new Error('no FLOW_MOD');
    expect(fm.buffer_id).not.toBe(OFP_NO_BUFFER);
    expect(fm.idle_timeout).toBe(60);
    // Exact on everything an Ethernet frame of an unknown type has; the IP/L4 fields it lacks are
    // wildcarded (as ovs-testcontroller does).
    expect(fm.match.wildcards).toBe(
      OFPFW.NW_TOS | OFPFW.NW_PROTO | OFPFW.NW_SRC_ALL | OFPFW.NW_DST_ALL | OFPFW.TP_SRC | OFPFW.TP_DST,
    );
    expect(fm.match).toMatchObject({
      dl_src: 0x02000000000b,
      dl_dst: 0x02000000000a,
      dl_type: 0x88b5,
      dl_vlan: 0xffff,
    });
    expect(fm.match.in_port).toBe(2);
    expect(fm.actions).toEqual([{ type: OFPAT.OUTPUT, port: 1, max_len: 0 }]);
    expect(sent.filter((m) => m.type === OFPT.PACKET_OUT).length).toBe(outsBefore);

    const flows = bridge.dp.flowStats(matchAll(), OFPP.NONE);
    expect(flows).toHaveLength(1);
    expect(flows[0]!.packet_count).toBe(1n); // the buffered packet went through the new flow

    // The same packet again hits the flow in the datapath: no new packet-in.
    const pins = ctl.counters.packetIns;
    p2.receive(frame(A, B, 3));
    await p1.waitSent(1);
    expect(p1.takeSent()[0]![14]).toBe(3);
    expect(ctl.counters.packetIns).toBe(pins);
    expect(bridge.dp.flowStats(matchAll(), OFPP.NONE)[0]!.packet_count).toBe(2n);

    // A → B now that B is known: the second direction gets its own flow.
    p1.receive(frame(B, A, 4));
    await p2.waitSent(1);
    expect(p2.takeSent()[0]![14]).toBe(4);
    expect(bridge.dp.flowStats(matchAll(), OFPP.NONE)).toHaveLength(2);
    expect(ctl.counters).toMatchObject({ packetIns: 3, floods: 1, flowMods: 2, packetOuts: 1 });
  });

  it('sends the data with a PACKET_OUT after the FLOW_MOD when packet-ins are unbuffered', async () => {
    const { ports, sent } = await lab(0xffff);
    const [p1, p2] = ports as [DummyDevice, DummyDevice];
    p1.receive(frame(BCAST, A, 1));
    await p2.waitSent(1);
    p2.takeSent();
    const flood = sent.find((m) => m.type === OFPT.PACKET_OUT);
    expect(flood?.type === OFPT.PACKET_OUT && flood.buffer_id).toBe(OFP_NO_BUFFER);
    expect(flood?.type === OFPT.PACKET_OUT && flood.data.length).toBe(60);

    p2.receive(frame(A, B, 2));
    await p1.waitSent(1);
    const p1Got = p1.takeSent();
    const fmIdx = sent.findIndex((m) => m.type === OFPT.FLOW_MOD);
    const fm = sent[fmIdx];
    expect(fm?.type === OFPT.FLOW_MOD && fm.buffer_id).toBe(OFP_NO_BUFFER);
    const po = sent[fmIdx + 1];
    if (po?.type !== OFPT.PACKET_OUT) throw new Error('no PACKET_OUT after the FLOW_MOD');
    expect(po.data.equals(frame(A, B, 2))).toBe(true);
    expect(po.actions).toEqual([{ type: OFPAT.OUTPUT, port: 1, max_len: 0 }]);
    expect(p1Got).toHaveLength(1);
    expect(p1Got[0]![14]).toBe(2);
  });

  it('answers echo requests and refuses a peer without OpenFlow 1.0', () => {
    const out: Buffer[] = [];
    let closed = '';
    const ctl = new LearningController(
      (b) => out.push(b),
      {},
      (r) => (closed = r),
    );
    // ECHO_REQUEST xid 7 with payload "hi", split across two chunks.
    const echo = Buffer.from('0102000a00000007' + '6869', 'hex');
    ctl.receive(echo.subarray(0, 5));
    ctl.receive(echo.subarray(5));
    expect(out.map((b) => decodeMessage(b))).toEqual([
      { type: OFPT.ECHO_REPLY, xid: 7, data: Buffer.from('hi') },
    ]);
    // A v4 HELLO whose bitmap offers only 1.3.
    ctl.receive(Buffer.from('04000010000000010001000800000010', 'hex'));
    expect(closed).toMatch(/no common/);
    const err = decodeMessage(out[1]!);
    expect(err.type).toBe(OFPT.ERROR);
  });
});
