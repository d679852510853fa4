/*
 * Fail mode "emergency" from the moment the bridge starts. OpenFlow 1.0.0 §4.3 (Connection
 * Interruption): "The first time a switch starts up, it is considered to be in emergency mode." So
 * before any controller has connected, only the emergency table forwards; flows a service
 * connection (ovs-ofctl) adds to the normal table wait unused; a controller connecting brings the
 * normal table in; the last controller leaving clears it and emergency mode returns.
 */
import { describe, expect, it } from 'vitest';
import { OFPFF, OFPT } from '../../src/openflow/constants.js';
import { connected, dummyBridge, flowMod, out, send } from './helpers.js';

function frame(dst: number, src: number): Buffer {
  const f = Buffer.alloc(60);
  f.writeUIntBE(dst, 0, 6);
  f.writeUIntBE(src, 6, 6);
  f.writeUInt16BE(0x0800, 12);
  return f;
}

describe('fail mode emergency at start-up', () => {
  it('starts in emergency mode; a controller brings in the normal table; its leaving clears it', async () => {
    const { bridge, a, b, x } = dummyBridge({ name: 'em0', failMode: 'emergency' }, 'a', 'b', 'x');
    expect(bridge.dp.emergencyMode).toBe(true);
    const fwd = () => {
      a.receive(frame(0x02000000000b, 0x02000000000a));
      a.drainReceived();
      return [b.takeSent().length, x.takeSent().length];
    };
    // Before any controller: ovs-ofctl (a service connection) adds a normal flow to b and an
    // emergency flow to x. The emergency one forwards.
    const svc = connected(bridge, 'service');
    await send(bridge, svc.c, flowMod([out(2)]));
    await send(bridge, svc.c, flowMod([out(3)], { flags: OFPFF.EMERG }));
    expect(svc.got.filter((m) => m.type === OFPT.ERROR)).toEqual([]);
    expect(bridge.dp.emergencyMode).toBe(true);
    expect(fwd()).toEqual([0, 1]);
    // A service connection going away changes nothing.
    bridge.disconnect(svc.c);
    expect(bridge.dp.emergencyMode).toBe(true);
    expect(bridge.dp.table.size).toBe(1);
    // A controller connects: the normal table, with the flow added before it came, is in use.
    const ctl = connected(bridge);
    expect(bridge.dp.emergencyMode).toBe(false);
    expect(fwd()).toEqual([1, 0]);
    expect(ctl.got.filter((m) => m.type === OFPT.PACKET_IN)).toEqual([]);
    // It leaves: the normal table is cleared and the emergency flow forwards again.
    bridge.disconnect(ctl.c);
    expect(bridge.dp.emergencyMode).toBe(true);
    expect(bridge.dp.table.size).toBe(0);
    expect(bridge.dp.emergencyTable.size).toBe(1);
    expect(fwd()).toEqual([0, 1]);
  });

  it('the other fail modes start on the normal table', () => {
    for (const failMode of ['standalone', 'secure'] as const)
      expect(dummyBridge({ name: 'em1', failMode }).bridge.dp.emergencyMode).toBe(false);
  });
});
