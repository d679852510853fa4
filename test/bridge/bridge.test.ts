import { beforeEach, describe, expect, it } from 'vitest';
import { Bridge } from '../../src/bridge/bridge.js';
import { handleRaw } from '../../src/bridge/handle-message.js';
import { DummyDevice } from '../../src/netdev/dummy.js';
import { Netdev } from '../../src/netdev/netdev.js';
import { encodeMessage } from '../../src/openflow/codec.js';
import {
  OFPAT,
  OFPBRC,
  OFPET,
  OFPFC,
  OFPP,
  OFPPC,
  OFPPF,
  OFPPMFC,
  OFPPR,
  OFPPS,
  OFPR,
  OFPSF_REPLY_MORE,
  OFPST,
  OFPT,
  OFP_NO_BUFFER,
} from '../../src/openflow/constants.js';
import { matchAll } from '../../src/openflow/match.js';
import type { MessageOf } from '../../src/openflow/messages.js';
import { connected, dummyBridge, flowMod, send } from './helpers.js';

const clock = { now: 1_000_000 };

function frame(dst: string, src: string, payload = 46): Buffer {
  const b = Buffer.alloc(14 + payload);
  Buffer.from(dst.replaceAll(':', ''), 'hex').copy(b, 0);
  Buffer.from(src.replaceAll(':', ''), 'hex').copy(b, 6);
  b.writeUInt16BE(0x88b5, 12);
  for (let i = 14; i < b.length; i++) b[i] = i & 0xff;
  return b;
}

describe('Bridge', () => {
  let bridge: Bridge;
  let d1: DummyDevice;
  let d2: DummyDevice;
  let d3: DummyDevice;

  beforeEach(() => {
    bridge = new Bridge({ name: 'br0', failMode: 'secure', datapathId: 0x42n, now: () => clock.now });
    d1 = new DummyDevice('p1', { mac: 0x020000000001 });
    d2 = new DummyDevice('p2', { mac: 0x020000000002 });
    d3 = new DummyDevice('p3', { mac: 0x020000000003 });
    bridge.addPort(new Netdev(d1));
    bridge.addPort(new Netdev(d2));
    bridge.addPort(new Netdev(d3), 7);
  });

  it('describes its ports in FEATURES_REPLY, with LINK_DOWN following carrier', async () => {
    const { c, got } = connected(bridge);
    d2.setCarrier(false);
    await send(bridge, c, { type: OFPT.FEATURES_REQUEST, xid: 9 });
    const fr = got.find((m) => m.type === OFPT.FEATURES_REPLY) as MessageOf<typeof OFPT.FEATURES_REPLY>;
    expect(fr).toMatchObject({ xid: 9, datapath_id: 0x42n, n_buffers: 256, n_tables: 1 });
    expect(fr.ports.map((p) => [p.port_no, p.name, p.hw_addr, p.state])).toEqual([
      [1, 'p1', 0x020000000001, 0],
      [2, 'p2', 0x020000000002, OFPPS.LINK_DOWN],
      [7, 'p3', 0x020000000003, 0],
    ]);
    // The carrier change itself reached the controller as PORT_STATUS MODIFY.
    expect(got.find((m) => m.type === OFPT.PORT_STATUS)).toMatchObject({
      reason: OFPPR.MODIFY,
      desc: { port_no: 2, state: OFPPS.LINK_DOWN },
    });
  });

  it('buffers table misses, and a flow-mod naming the buffer applies its actions to the packet', async () => {
    const { c, got } = connected(bridge);
    const f = frame('02:00:00:00:00:02', '02:00:00:00:00:01', 200);
    d1.receive(f);
    d1.drainReceived();
    const pin = got.find((m) => m.type === OFPT.PACKET_IN) as MessageOf<typeof OFPT.PACKET_IN>;
    expect(pin).toMatchObject({ reason: OFPR.NO_MATCH, in_port: 1, total_len: f.length });
    expect(pin.buffer_id).not.toBe(OFP_NO_BUFFER);
    expect(pin.data.equals(f.subarray(0, 128))).toBe(true);
    await send(
      bridge,
      c,
      flowMod([{ type: OFPAT.OUTPUT, port: 2, max_len: 0 }], { buffer_id: pin.buffer_id }),
    );
    expect(d2.takeSent()).toEqual([f]);
    expect(got.filter((m) => m.type === OFPT.ERROR)).toEqual([]);
    // The buffer is now empty; an id never handed out is unknown.
    got.length = 0;
    await send(bridge, c, {
      type: OFPT.PACKET_OUT,
      xid: 11,
      buffer_id: pin.buffer_id,
      in_port: OFPP.NONE,
      actions: [],
      data: Buffer.alloc(0),
    });
    await send(bridge, c, {
      type: OFPT.PACKET_OUT,
      xid: 12,
      buffer_id: 0x7777,
      in_port: OFPP.NONE,
      actions: [],
      data: Buffer.alloc(0),
    });
    expect(got.map((m) => (m.type === OFPT.ERROR ? [m.xid, m.err_type, m.code] : m.type))).toEqual([
      [11, OFPET.BAD_REQUEST, OFPBRC.BUFFER_EMPTY],
      [12, OFPET.BAD_REQUEST, OFPBRC.BUFFER_UNKNOWN],
    ]);
  });

  it('ignores buffer_id on deletes (os-ken sends 0 there)', async () => {
    const { c, got } = connected(bridge);
    await send(bridge, c, flowMod([], { command: OFPFC.DELETE, buffer_id: 0 }));
    expect(got).toEqual([]);
  });

  it('sends no asynchronous messages to a service connection until it sets miss_send_len', async () => {
    const { c, got } = connected(bridge, 'service');
    d1.receive(frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:01'));
    d1.drainReceived();
    d1.setCarrier(false);
    expect(got).toEqual([]);
    await send(bridge, c, { type: OFPT.SET_CONFIG, xid: 3, flags: 0, miss_send_len: 0xffff });
    d1.setCarrier(true);
    d2.receive(frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:02'));
    d2.drainReceived();
    expect(got.map((m) => m.type)).toEqual([OFPT.PORT_STATUS, OFPT.PACKET_IN]);
    // miss_send_len 0xffff: unbuffered, whole frame.
    expect(got[1]).toMatchObject({ buffer_id: OFP_NO_BUFFER, in_port: 2 });
  });

  it('splits a large flow-stats reply without splitting entries', async () => {
    const { c, got } = connected(bridge);
    for (let i = 0; i < 1500; i++)
      await send(
        bridge,
        c,
        flowMod([{ type: OFPAT.OUTPUT, port: 2, max_len: 0 }], {
          match: { ...matchAll(), wildcards: 0x3fffff & ~1, in_port: i + 1 },
        }),
      );
    await send(bridge, c, {
      type: OFPT.STATS_REQUEST,
      xid: 77,
      stats_type: OFPST.FLOW,
      flags: 0,
      body: { match: matchAll(), table_id: 0xff, out_port: OFPP.NONE },
    });
    const replies = got.filter((m) => m.type === OFPT.STATS_REPLY) as MessageOf<typeof OFPT.STATS_REPLY>[];
    expect(replies.length).toBeGreaterThan(1);
    expect(replies.map((r) => r.flags)).toEqual([...replies.slice(1).map(() => OFPSF_REPLY_MORE), 0]);
    expect(replies.every((r) => r.xid === 77 && encodeMessage(r).length <= 65535)).toBe(true);
    const ports = replies.flatMap((r) =>
      r.stats_type === OFPST.FLOW ? r.body.map((e) => e.match.in_port) : [],
    );
    expect(new Set(ports).size).toBe(1500);
  });

  it('answers port-mods: bad port, bad hw_addr, and config changes with PORT_STATUS', async () => {
    const { c, got } = connected(bridge);
    const pm = {
      type: OFPT.PORT_MOD,
      xid: 21,
      port_no: 9,
      hw_addr: 0x020000000001,
      config: 0,
      mask: 0,
      advertise: 0,
    } as const;
    await send(bridge, c, pm);
    await send(bridge, c, { ...pm, xid: 22, port_no: 1, hw_addr: 0x020000000009 });
    await send(bridge, c, {
      ...pm,
      xid: 23,
      port_no: 1,
      config: OFPPC.PORT_DOWN | OFPPC.NO_FLOOD,
      mask: OFPPC.PORT_DOWN | OFPPC.NO_FLOOD,
    });
    const errs = got.filter((m) => m.type === OFPT.ERROR) as MessageOf<typeof OFPT.ERROR>[];
    expect(errs.map((e) => [e.xid, e.err_type, e.code])).toEqual([
      [21, OFPET.PORT_MOD_FAILED, OFPPMFC.BAD_PORT],
      [22, OFPET.PORT_MOD_FAILED, OFPPMFC.BAD_HW_ADDR],
    ]);
    // The error echoes the whole offending message.
    expect(errs[0]!.data.equals(encodeMessage(pm))).toBe(true);
    expect(d1.getFlags().up).toBe(false);
    const ps = got.filter((m) => m.type === OFPT.PORT_STATUS).at(-1);
    expect(ps).toMatchObject({
      reason: OFPPR.MODIFY,
      desc: { port_no: 1, config: OFPPC.PORT_DOWN | OFPPC.NO_FLOOD, state: OFPPS.LINK_DOWN },
    });
  });

  it('applies a PORT_MOD advertise the device accepts: FEATURES_REPLY and PORT_STATUS show it', async () => {
    const { c, got } = connected(bridge);
    const watcher = connected(bridge);
    watcher.c.missSendLen = 128;
    const before = d1.getFeatures().advertised;
    const advertise = OFPPF['1GB_FD'] | OFPPF.COPPER;
    expect(before).not.toBe(advertise);
    await send(bridge, c, {
      type: OFPT.PORT_MOD,
      xid: 41,
      port_no: 1,
      hw_addr: d1.getEtherAddr(),
      config: 0,
      mask: 0,
      advertise,
    });
    expect(got.filter((m) => m.type === OFPT.ERROR)).toEqual([]);
    expect(d1.getFeatures().advertised).toBe(advertise);
    expect(watcher.got.filter((m) => m.type === OFPT.PORT_STATUS).at(-1)).toMatchObject({
      reason: OFPPR.MODIFY,
      desc: { port_no: 1, advertised: advertise },
    });
    await send(bridge, c, { type: OFPT.FEATURES_REQUEST, xid: 42 });
    const fr = got.find((m) => m.type === OFPT.FEATURES_REPLY) as MessageOf<typeof OFPT.FEATURES_REPLY>;
    expect(fr.ports.find((p) => p.port_no === 1)?.advertised).toBe(advertise);
  });

  it('answers vendor messages and vendor stats with BAD_VENDOR, and malformed messages with their error', async () => {
    const { c, got } = connected(bridge);
    await send(bridge, c, {
      type: OFPT.VENDOR,
      xid: 31,
      vendor: 0x2320,
      data: Buffer.from('0000000b', 'hex'),
    });
    await send(bridge, c, {
      type: OFPT.STATS_REQUEST,
      xid: 32,
      stats_type: OFPST.VENDOR,
      flags: 0,
      body: { vendor: 0x2320, data: Buffer.alloc(8) },
    });
    const bad = Buffer.from('0110000c000000210009 0000'.replace(/ /g, ''), 'hex');
    await handleRaw(bridge, c, bad);
    await send(bridge, c, { type: OFPT.ECHO_REQUEST, xid: 34, data: Buffer.from('ping') });
    expect(
      got.map((m) => (m.type === OFPT.ERROR ? [m.xid, m.err_type, m.code, m.data.length] : [m.xid, m.type])),
    ).toEqual([
      [31, OFPET.BAD_REQUEST, OFPBRC.BAD_VENDOR, 16],
      [32, OFPET.BAD_REQUEST, OFPBRC.BAD_VENDOR, 24],
      [0x21, OFPET.BAD_REQUEST, OFPBRC.BAD_STAT, 12],
      [34, OFPT.ECHO_REPLY],
    ]);
  });

  it('reports an unknown port in port stats with an empty reply', async () => {
    const { c, got } = connected(bridge);
    await send(bridge, c, {
      type: OFPT.STATS_REQUEST,
      xid: 41,
      stats_type: OFPST.PORT,
      flags: 0,
      body: { port_no: 99 },
    });
    expect(got).toMatchObject([{ type: OFPT.STATS_REPLY, xid: 41, stats_type: OFPST.PORT, body: [] }]);
  });

  it('sends FLOW_REMOVED on delete of a SEND_FLOW_REM flow', async () => {
    const { c, got } = connected(bridge);
    await send(
      bridge,
      c,
      flowMod([{ type: OFPAT.OUTPUT, port: 2, max_len: 0 }], { flags: 1, cookie: 0x99n, priority: 7 }),
    );
    await send(bridge, c, flowMod([], { command: OFPFC.DELETE }));
    expect(got).toMatchObject([{ type: OFPT.FLOW_REMOVED, cookie: 0x99n, priority: 7, reason: 2 }]);
  });
});

describe('fail modes', () => {
  it('standalone forwards with NORMAL while no controller is connected, and sends misses to one that is', async () => {
    const { bridge, a, b } = dummyBridge(
      { name: 'br1', failMode: 'standalone', now: () => clock.now },
      'a',
      'b',
    );
    a.receive(frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:0a'));
    a.drainReceived();
    expect(b.takeSent().length).toBe(1);
    const { c, got } = connected(bridge);
    a.receive(frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:0a'));
    a.drainReceived();
    expect(b.takeSent().length).toBe(0);
    expect(got.map((m) => m.type)).toEqual([OFPT.PACKET_IN]);
    bridge.disconnect(c);
    a.receive(frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:0a'));
    a.drainReceived();
    expect(b.takeSent().length).toBe(1);
  });

  it('emergency mode clears normal flows and uses the emergency table once the last controller is gone', async () => {
    const { bridge, a, b, x } = dummyBridge(
      { name: 'br2', failMode: 'emergency', now: () => clock.now },
      'a',
      'b',
      'x',
    );
    const { c } = connected(bridge);
    await send(bridge, c, flowMod([{ type: OFPAT.OUTPUT, port: 2, max_len: 0 }]));
    await send(bridge, c, flowMod([{ type: OFPAT.OUTPUT, port: 3, max_len: 0 }], { flags: 4 }));
    a.receive(frame('02:00:00:00:00:0b', '02:00:00:00:00:0a'));
    a.drainReceived();
    expect([b.takeSent().length, x.takeSent().length]).toEqual([1, 0]);
    bridge.disconnect(c);
    expect(bridge.dp.table.size).toBe(0);
    a.receive(frame('02:00:00:00:00:0b', '02:00:00:00:00:0a'));
    a.drainReceived();
    expect([b.takeSent().length, x.takeSent().length]).toEqual([0, 1]);
  });
});

describe('vanishing devices', () => {
  it('turns a vanished device into PORT_STATUS DELETE and gives its number back when it returns', async () => {
    const { bridge, a, b } = dummyBridge({ name: 'br3', now: () => clock.now }, 'a', 'b');
    const { got } = connected(bridge);
    b.vanish();
    expect(got).toMatchObject([
      { type: OFPT.PORT_STATUS, reason: OFPPR.DELETE, desc: { port_no: 2, name: 'b' } },
    ]);
    expect(bridge.ports.has(2)).toBe(false);
    // Another device does not take the reserved number; the returning one gets it back.
    expect(bridge.addPort(new Netdev(new DummyDevice('c')))).toBe(3);
    expect(bridge.addPort(new Netdev(new DummyDevice('b')))).toBe(2);
    expect(
      got.slice(1).map((m) => (m.type === OFPT.PORT_STATUS ? [m.reason, m.desc.port_no] : m.type)),
    ).toEqual([
      [OFPPR.ADD, 3],
      [OFPPR.ADD, 2],
    ]);
    // Frames still flow between the ports that remain.
    a.receive(frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:0a'));
    a.drainReceived();
    expect(got.at(-1)).toMatchObject({ type: OFPT.PACKET_IN, in_port: 1 });
  });
});
