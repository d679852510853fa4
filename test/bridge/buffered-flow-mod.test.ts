/*
 * A flow-mod naming a buffered packet applies *its own* actions to that packet (as Open vSwitch
 * does), whether or not its match covers the packet, and counts it.
 *
 * Found with ovs-testcontroller (test/integration/controllers-testcontroller.test.ts): for a frame
 * longer than miss_send_len it installs a flow built from the truncated packet-in data, with
 * nw_src/nw_dst/nw_proto zero; running the buffered packet through the table instead missed, sent
 * it back to the controller, and looped for ever (a packet-in storm, and the frame never arrived).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { Bridge } from '../../src/bridge/bridge.js';
import { LocalConn } from '../../src/bridge/ofconn.js';
import { DummyDevice } from '../../src/netdev/dummy.js';
import { Netdev } from '../../src/netdev/netdev.js';
import { OFPAT, OFPP, OFPST, OFPT, OFP_NO_BUFFER } from '../../src/openflow/constants.js';
import { matchAll } from '../../src/openflow/match.js';
import type { MessageOf, OfpMessage } from '../../src/openflow/messages.js';
import type { OfpMatch } from '../../src/openflow/structs.js';
import { connected, flowMod, out, send as sendTo, type FlowMod } from './helpers.js';

const clock = { now: 5_000_000 };

/** An IPv4/UDP frame of `len` bytes from 10.0.0.1 to 10.0.0.2. */
function ipFrame(len: number): Buffer {
  const b = Buffer.alloc(len);
  Buffer.from('020000000002020000000001', 'hex').copy(b, 0);
  b.writeUInt16BE(0x0800, 12);
  b[14] = 0x45;
  b.writeUInt16BE(len - 14, 16);
  b[22] = 64;
  b[23] = 17;
  b.writeUInt32BE(0x0a000001, 26);
  b.writeUInt32BE(0x0a000002, 30);
  b.writeUInt16BE(1000, 34);
  b.writeUInt16BE(2000, 36);
  b.writeUInt16BE(len - 34, 38);
  return b;
}

/** The exact match ovs-testcontroller sends for a truncated IP packet-in: L3/L4 fields zero. */
function truncatedIpMatch(): OfpMatch {
  return {
    ...matchAll(),
    wildcards: 0,
    in_port: 1,
    dl_src: 0x020000000001,
    dl_dst: 0x020000000002,
    dl_vlan: 0xffff,
    dl_type: 0x0800,
  };
}

/** A FLOW_MOD as ovs-testcontroller sends it (idle 60, priority 1, output:2); `m` overrides. */
const tcFlowMod = (m: Partial<FlowMod>): FlowMod =>
  flowMod([out(2)], { xid: 7, idle_timeout: 60, priority: 1, ...m });

describe('a flow-mod naming a buffered packet', () => {
  let bridge: Bridge;
  let d1: DummyDevice;
  let d2: DummyDevice;
  let d3: DummyDevice;
  let got: OfpMessage[];
  let c: LocalConn;
  const send = (m: OfpMessage) => sendTo(bridge, c, m);
  const packetIns = () => got.filter((m): m is MessageOf<typeof OFPT.PACKET_IN> => m.type === OFPT.PACKET_IN);

  beforeEach(() => {
    bridge = new Bridge({ name: 'brb', failMode: 'secure', now: () => clock.now });
    d1 = new DummyDevice('b1', { mac: 0x020000000011 });
    d2 = new DummyDevice('b2', { mac: 0x020000000012 });
    d3 = new DummyDevice('b3', { mac: 0x020000000013 });
    bridge.addPort(new Netdev(d1), 1);
    bridge.addPort(new Netdev(d2), 2);
    bridge.addPort(new Netdev(d3), 3);
    ({ c, got } = connected(bridge));
  });

  async function bufferedMiss(f: Buffer): Promise<number> {
    d1.receive(f);
    d1.drainReceived();
    const pin = packetIns().at(-1)!;
    expect(pin.buffer_id).not.toBe(OFP_NO_BUFFER);
    got.length = 0;
    return pin.buffer_id;
  }

  it('forwards it with the flow’s actions even when the flow does not match it (no packet-in loop)', async () => {
    const f = ipFrame(1042);
    const id = await bufferedMiss(f);
    expect(got).toEqual([]);
    await send(tcFlowMod({ match: truncatedIpMatch(), buffer_id: id }));
    expect(d2.takeSent()).toEqual([f]);
    // Not sent back to the controller, and nothing refused.
    expect(got).toEqual([]);
    // The new flow counts the packet it was given.
    await send({
      type: OFPT.STATS_REQUEST,
      xid: 8,
      flags: 0,
      stats_type: OFPST.FLOW,
      body: { match: matchAll(), table_id: 0xff, out_port: OFPP.NONE },
    });
    const reply = got.find((m) => m.type === OFPT.STATS_REPLY) as MessageOf<typeof OFPT.STATS_REPLY>;
    expect(reply.stats_type).toBe(OFPST.FLOW);
    const body = (reply as { body: { packet_count: bigint; byte_count: bigint }[] }).body;
    expect(body.map((e) => [e.packet_count, e.byte_count])).toEqual([[1n, 1042n]]);
  });

  it('uses the new flow’s actions, not those of a higher-priority flow covering the packet', async () => {
    const f = ipFrame(200);
    const id = await bufferedMiss(f);
    // A catch-all drop at priority 100 arrives before the controller's answer to the packet-in.
    await send(tcFlowMod({ priority: 100, actions: [] }));
    await send(
      tcFlowMod({ priority: 5, buffer_id: id, actions: [{ type: OFPAT.OUTPUT, port: 3, max_len: 0 }] }),
    );
    expect(d3.takeSent()).toEqual([f]);
    expect(d2.takeSent()).toEqual([]);
    expect(got.filter((m) => m.type === OFPT.ERROR || m.type === OFPT.PACKET_IN)).toEqual([]);
  });
});
