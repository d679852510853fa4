/*
 * Bridge behaviour fixed to match Open vSwitch after the ovs-ofctl comparison tests
 * (test/integration/ofctl-vs-ovs.test.ts) found ofdp answering differently. One block per fix, on
 * dummy ports, so each runs without privileges:
 *
 *  - PORT_MOD that changes a config bit reports the new config at once with the link state as it
 *    still is, and the device's own state change follows as a second PORT_STATUS (`ovs-ofctl
 *    mod-port P down` shows two messages in `ovs-ofctl monitor` on both switches).
 *  - QUEUE_GET_CONFIG_REQUEST for LOCAL or any other number >= OFPP_MAX is refused with
 *    OFPQOFC_BAD_PORT, as OVS does for OpenFlow 1.0 (`ovs-ofctl queue-get-config SW LOCAL`).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { Bridge } from '../../src/bridge/bridge.js';
import { handleRaw } from '../../src/bridge/handle-message.js';
import { LocalConn } from '../../src/bridge/ofconn.js';
import { DummyDevice } from '../../src/netdev/dummy.js';
import { Netdev } from '../../src/netdev/netdev.js';
import { decodeMessage, encodeMessage } from '../../src/openflow/codec.js';
import { OFPET, OFPP, OFPPC, OFPPR, OFPPS, OFPQOFC, OFPT } from '../../src/openflow/constants.js';
import type { MessageOf, OfpMessage } from '../../src/openflow/messages.js';

function conn(): { c: LocalConn; got: OfpMessage[] } {
  const got: OfpMessage[] = [];
  const c = new LocalConn((m) => got.push(decodeMessage(encodeMessage(m))), 'primary');
  return { c, got };
}

const send = (b: Bridge, c: LocalConn, m: OfpMessage) => handleRaw(b, c, encodeMessage(m));

describe('Open vSwitch parity', () => {
  let bridge: Bridge;
  let d1: DummyDevice;

  beforeEach(() => {
    bridge = new Bridge({
      name: 'br0',
      failMode: 'secure',
      queues: new Map([[1, [{ queueId: 3, minRate: 100 }]]]),
    });
    d1 = new DummyDevice('p1', { mac: 0x020000000001 });
    bridge.addPort(new Netdev(d1), 1);
    bridge.addPort(new Netdev(new DummyDevice('br0', { mac: 0x020000000fe })), OFPP.LOCAL);
  });

  const portMod = (config: number, mask: number): MessageOf<typeof OFPT.PORT_MOD> => ({
    type: OFPT.PORT_MOD,
    xid: 7,
    port_no: 1,
    hw_addr: 0x020000000001,
    config,
    mask,
    advertise: 0,
  });

  const statuses = (got: OfpMessage[]) =>
    (got.filter((m) => m.type === OFPT.PORT_STATUS) as MessageOf<typeof OFPT.PORT_STATUS>[]).map((m) => [
      m.reason,
      m.desc.port_no,
      m.desc.config,
      m.desc.state,
    ]);

  it('port-mod down/up: the config change first, with the old link state, then the link state', async () => {
    const { c, got } = conn();
    bridge.connect(c);
    await send(bridge, c, portMod(OFPPC.PORT_DOWN, OFPPC.PORT_DOWN));
    expect(d1.getFlags().up).toBe(false);
    expect(statuses(got)).toEqual([
      [OFPPR.MODIFY, 1, OFPPC.PORT_DOWN, 0],
      [OFPPR.MODIFY, 1, OFPPC.PORT_DOWN, OFPPS.LINK_DOWN],
    ]);
    got.length = 0;
    await send(bridge, c, portMod(0, OFPPC.PORT_DOWN));
    expect(d1.getFlags().up).toBe(true);
    expect(statuses(got)).toEqual([
      [OFPPR.MODIFY, 1, 0, OFPPS.LINK_DOWN],
      [OFPPR.MODIFY, 1, 0, 0],
    ]);
    expect(bridge.phyPorts().find((p) => p.port_no === 1)).toMatchObject({ config: 0, state: 0 });
  });

  it('port-mod of another config bit: one PORT_STATUS; one that changes nothing: none', async () => {
    const { c, got } = conn();
    bridge.connect(c);
    await send(bridge, c, portMod(OFPPC.NO_FLOOD, OFPPC.NO_FLOOD));
    expect(statuses(got)).toEqual([[OFPPR.MODIFY, 1, OFPPC.NO_FLOOD, 0]]);
    await send(bridge, c, portMod(OFPPC.NO_FLOOD, OFPPC.NO_FLOOD));
    expect(statuses(got)).toHaveLength(1);
    expect(got.some((m) => m.type === OFPT.ERROR)).toBe(false);
    expect(bridge.phyPorts().find((p) => p.port_no === 1)!.config).toBe(OFPPC.NO_FLOOD);
  });

  it('queue-get-config: a physical port answers; LOCAL and reserved numbers are BAD_PORT', async () => {
    const { c, got } = conn();
    bridge.connect(c);
    for (const [xid, port] of [
      [1, 1],
      [2, OFPP.LOCAL],
      [3, OFPP.NONE],
      [4, OFPP.MAX],
      [5, 9],
    ] as const)
      await send(bridge, c, { type: OFPT.QUEUE_GET_CONFIG_REQUEST, xid, port });
    const replies = got.filter((m) => m.type !== OFPT.PORT_STATUS);
    expect(replies[0]).toMatchObject({
      type: OFPT.QUEUE_GET_CONFIG_REPLY,
      xid: 1,
      port: 1,
      queues: [{ queue_id: 3 }],
    });
    expect(
      replies.slice(1).map((m) => {
        const e = m as MessageOf<typeof OFPT.ERROR>;
        return [e.type, e.xid, e.err_type, e.code];
      }),
    ).toEqual([2, 3, 4, 5].map((xid) => [OFPT.ERROR, xid, OFPET.QUEUE_OP_FAILED, OFPQOFC.BAD_PORT]));
  });
});
