/*
 * Reply order on a real channel through the connection manager and attach.ts: what the channel
 * answers on its own (ECHO_REPLY, OFPT_ERROR for a message that fails to decode) waits behind a
 * request still in progress, so a BARRIER_REPLY comes before the answers to everything sent after
 * the barrier; with nothing in progress those answers still go out at once, in the segment's
 * single write. The slow request is a PORT_MOD(down) on a dummy port whose flag change the test
 * completes when it chooses.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { attachConnections } from '../../src/bridge/attach.js';
import type { Bridge } from '../../src/bridge/bridge.js';
import { ConnectionManager, type Dialer } from '../../src/connmgr/index.js';
import type { DummyDevice } from '../../src/netdev/dummy.js';
import { encodeMessage } from '../../src/openflow/codec.js';
import { OFPAT, OFPBRC, OFPET, OFPFC, OFPFMFC, OFPP, OFPPC, OFPT } from '../../src/openflow/constants.js';
import { matchAll } from '../../src/openflow/match.js';
import type { OfpMessage } from '../../src/openflow/messages.js';
import { FakeStream, settle } from '../connmgr/fake-stream.js';
import { dummyBridge } from './helpers.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const HELLO = hex('01 00 0008 00000001');
const BARRIER = (xid: number): Buffer => encodeMessage({ type: OFPT.BARRIER_REQUEST, xid });
const ECHO = (xid: number): Buffer => encodeMessage({ type: OFPT.ECHO_REQUEST, xid, data: hex('0102') });
const VENDOR = (xid: number): Buffer =>
  encodeMessage({ type: OFPT.VENDOR, xid, vendor: 0x00abcdef, data: Buffer.alloc(0) });
/** A STATS_REQUEST of unknown type 99, which the codec refuses (the channel answers it). */
const BAD_STATS = (xid: number): Buffer => {
  const b = hex('01 10 000c 00000000 0063 0000');
  b.writeUInt32BE(xid, 4);
  return b;
};

/** A FakeStream that reports each write, so a test can wait for a reply instead of guessing. */
class WatchedStream extends FakeStream {
  override write(buf: Buffer): boolean {
    const r = super.write(buf);
    this.emit('wrote');
    return r;
  }

  /** Replies other than PORT_STATUS (which the port-mod causes on this primary connection). */
  answers(): [number, number][] {
    return this.replies()
      .filter((m) => m.type !== OFPT.PORT_STATUS)
      .map((m) => [m.type, m.xid]);
  }

  /** Resolves once `pred` holds after some write. */
  until(pred: () => boolean): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (!pred()) return;
        this.off('wrote', check);
        resolve();
      };
      this.on('wrote', check);
    });
  }
}

interface Rig {
  bridge: Bridge;
  a: DummyDevice;
  stream: WatchedStream;
  mgr: ConnectionManager;
  bugs: unknown[];
  /** Lets the pending flag change of port 1 complete. */
  release: () => void;
  /** Flag changes started on port 1 so far. */
  flagCalls: () => number;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) {
    r.release();
    await r.mgr.close();
    await r.bridge.close();
  }
});

let counter = 0;

/** A bridge with port 1 ('a', flag changes held until release()) and one negotiated controller. */
async function rig(): Promise<Rig> {
  const { bridge, a } = dummyBridge({ name: `ao${counter++}`, failMode: 'secure' }, 'a');
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let calls = 0;
  const setFlags = a.setFlags.bind(a);
  a.setFlags = async (flags) => {
    calls++;
    await gate;
    return setFlags(flags);
  };
  const stream = new WatchedStream();
  const dialer: Dialer = (_target, cb) => {
    queueMicrotask(() => cb.connected(stream));
    return { cancel: () => {} };
  };
  const mgr = new ConnectionManager({ dialer, probeIntervalMs: 0 });
  const bugs: unknown[] = [];
  attachConnections(bridge, mgr, (e) => bugs.push(e));
  mgr.addController('tcp:127.0.0.1:6653');
  await settle();
  stream.feed(HELLO);
  expect(mgr.connections.size).toBe(1);
  await settle(); // our HELLO is written
  const r: Rig = { bridge, a, stream, mgr, bugs, release, flagCalls: () => calls };
  rigs.push(r);
  return r;
}

function portDown(r: Rig, xid: number): Buffer {
  const m: OfpMessage = {
    type: OFPT.PORT_MOD,
    xid,
    port_no: 1,
    hw_addr: r.bridge.ports.get(1)!.netdev.getEtherAddr(),
    config: OFPPC.PORT_DOWN,
    mask: OFPPC.PORT_DOWN,
    advertise: 0,
  };
  return encodeMessage(m);
}

describe('attach: reply order behind a request in progress', () => {
  it("the reviewer's case: BARRIER_REPLY, then the error, echo reply and vendor error, in request order", async () => {
    const r = await rig();
    r.stream.feed(
      Buffer.concat([portDown(r, 0x11), BARRIER(0x21), BAD_STATS(0x31), ECHO(0x41), VENDOR(0x51)]),
    );
    await settle();
    expect(r.flagCalls()).toBe(1);
    // The port-mod is still waiting on the device: nothing behind it may be answered yet.
    expect(r.stream.answers()).toEqual([]);
    // A later segment joins the same line.
    r.stream.feed(Buffer.concat([ECHO(0x42), BAD_STATS(0x32), BARRIER(0x22)]));
    await settle();
    expect(r.stream.answers()).toEqual([]);
    r.release();
    await r.stream.until(() => r.stream.answers().length === 7);
    expect(r.stream.answers()).toEqual([
      [OFPT.BARRIER_REPLY, 0x21],
      [OFPT.ERROR, 0x31],
      [OFPT.ECHO_REPLY, 0x41],
      [OFPT.ERROR, 0x51],
      [OFPT.ECHO_REPLY, 0x42],
      [OFPT.ERROR, 0x32],
      [OFPT.BARRIER_REPLY, 0x22],
    ]);
    const errors = r.stream.replies().filter((m) => m.type === OFPT.ERROR);
    expect(errors.map((e) => e.type === OFPT.ERROR && [e.err_type, e.code, e.data.length])).toEqual([
      [OFPET.BAD_REQUEST, OFPBRC.BAD_STAT, 12],
      [OFPET.BAD_REQUEST, OFPBRC.BAD_VENDOR, 12],
      [OFPET.BAD_REQUEST, OFPBRC.BAD_STAT, 12],
    ]);
    const echo = r.stream.replies().find((m) => m.type === OFPT.ECHO_REPLY);
    expect(echo).toEqual({ type: OFPT.ECHO_REPLY, xid: 0x41, data: hex('0102') });
    // Once the line is empty (its bookkeeping settles in microtasks), answers are immediate again.
    await settle();
    const n = r.stream.writes.length;
    r.stream.feed(ECHO(0x43));
    expect(r.stream.writes.length).toBe(n + 1);
    expect(r.stream.answers().at(-1)).toEqual([OFPT.ECHO_REPLY, 0x43]);
    expect(r.bugs).toEqual([]);
    expect(r.mgr.connections.size).toBe(1);
  });

  it('with nothing in progress, the channel-answered replies go out in the segment’s single write, synchronously', async () => {
    const r = await rig();
    const n = r.stream.writes.length;
    r.stream.feed(Buffer.concat([BARRIER(0x21), BAD_STATS(0x31), ECHO(0x41), VENDOR(0x51)]));
    // No settle(): all four answers are written before the data event returns, in one write.
    expect(r.stream.writes.length).toBe(n + 1);
    expect(r.stream.answers()).toEqual([
      [OFPT.BARRIER_REPLY, 0x21],
      [OFPT.ERROR, 0x31],
      [OFPT.ECHO_REPLY, 0x41],
      [OFPT.ERROR, 0x51],
    ]);
    expect(r.bugs).toEqual([]);
  });

  it('answers a FLOW_MOD with an unknown command and an action the codec refuses BAD_COMMAND, as handleRaw and OVS do', async () => {
    const r = await rig();
    const fm = encodeMessage({
      type: OFPT.FLOW_MOD,
      xid: 0x61,
      match: matchAll(),
      cookie: 0n,
      command: OFPFC.ADD,
      idle_timeout: 0,
      hard_timeout: 0,
      priority: 1,
      buffer_id: 0xffffffff,
      out_port: OFPP.NONE,
      flags: 0,
      actions: [{ type: OFPAT.SET_VLAN_VID, vlan_vid: 5 }],
    });
    fm.writeUInt16BE(9, 56); // command
    fm.writeUInt16BE(5000, 76); // set_vlan_vid's vid: the codec refuses it (BAD_ARGUMENT)
    const refusal = (): [number, number][] =>
      r.stream
        .replies()
        .flatMap((m) => (m.type === OFPT.ERROR && m.xid === 0x61 ? [[m.err_type, m.code]] : []));
    r.stream.feed(fm);
    expect(refusal()).toEqual([[OFPET.FLOW_MOD_FAILED, OFPFMFC.BAD_COMMAND]]);
    // And in its turn behind a request in progress.
    r.stream.feed(Buffer.concat([portDown(r, 0x12), fm]));
    await settle();
    expect(refusal()).toHaveLength(1);
    r.release();
    await r.stream.until(() => refusal().length === 2);
    expect(refusal()[1]).toEqual([OFPET.FLOW_MOD_FAILED, OFPFMFC.BAD_COMMAND]);
  });

  it('answers still queued when the connection drops are discarded quietly', async () => {
    const r = await rig();
    r.stream.feed(Buffer.concat([portDown(r, 0x11), BAD_STATS(0x31), ECHO(0x41)]));
    await settle();
    const conn = [...r.mgr.connections][0]!;
    conn.close();
    expect(r.mgr.connections.size).toBe(0);
    const n = r.stream.writes.length;
    r.release();
    // Let the port-mod and whatever was queued behind it finish.
    for (let i = 0; i < 5; i++) await settle();
    expect(r.stream.writes.length).toBe(n);
    expect(r.bugs).toEqual([]);
  });
});

describe('connection manager without a bridge', () => {
  it('lets the channel answer echoes and decode errors at once', async () => {
    const stream = new FakeStream();
    const dialer: Dialer = (_target, cb) => {
      queueMicrotask(() => cb.connected(stream));
      return { cancel: () => {} };
    };
    const mgr = new ConnectionManager({ dialer, probeIntervalMs: 0 });
    try {
      mgr.addController('tcp:127.0.0.1:6653');
      await settle();
      stream.feed(HELLO);
      await settle();
      const n = stream.writes.length;
      stream.feed(Buffer.concat([ECHO(0x41), BAD_STATS(0x31)]));
      expect(stream.writes.length).toBe(n + 1);
      expect(stream.replies().map((m) => [m.type, m.xid])).toEqual([
        [OFPT.ECHO_REPLY, 0x41],
        [OFPT.ERROR, 0x31],
      ]);
    } finally {
      await mgr.close();
    }
  });
});
