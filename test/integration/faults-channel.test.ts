/*
 * Fault cases on the controller channel (issue #5: several controllers at once, each receiving
 * asynchronous messages; the inactivity probe; errors never ending a connection), with `ofdp run`
 * dialling two scripted controllers, A and B, and two hosts on veth system ports.
 *
 * - both controllers get every PACKET_IN and PORT_STATUS;
 * - A sends a header whose length is below 8 (the stream can no longer be framed): ofdp drops A's
 *   connection and dials A again at once (its session had reached FEATURES, so the backoff was reset),
 *   while B's session carries on untouched;
 * - A sends framed nonsense (an unknown type, a wrong version): an OFPT_ERROR with its xid, and A's
 *   connection lives on;
 * - A hangs (connected, answering nothing): the inactivity probe (echo after 5 s idle, disconnect
 *   5 s later) drops it and ofdp dials again; B is never affected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFPBRC, OFPET, OFPPC, OFPPR, OFPT } from '../../src/openflow/constants.js';
import { ofctl } from '../support/ovs/ofctl.js';
import { faultsUnavailable } from '../support/faults/available.js';
import { OfdpProcess } from '../support/ofdp-run.js';
import { ScriptedController, type ControllerSession } from '../support/faults/scripted-controller.js';
import { pingOnce } from '../support/faults/hosts.js';
import { suiteHosts, systemPorts } from '../support/suite-hosts.js';

const skip = faultsUnavailable();
if (skip) console.warn(`*** SKIPPING channel fault tests: ${skip} ***`);

describe.skipIf(skip)('controller channel faults', () => {
  const net = suiteHosts({ h1: '10.79.0.1/24', h2: '10.79.0.2/24' });
  let a: ScriptedController;
  let b: ScriptedController;
  let sw: OfdpProcess;
  let b0: ControllerSession;

  beforeAll(async () => {
    const { h1, h2 } = net;
    h1.exec(`ip neigh replace ${h2.ip} lladdr ${h2.mac} dev ${h1.ifname} nud permanent`);
    a = await ScriptedController.start();
    b = await ScriptedController.start();
    sw = await OfdpProcess.start({
      bridge: `bc${process.pid}`,
      ports: systemPorts(h1, h2),
      controllers: [a.target, b.target],
      failMode: 'secure',
    });
    b0 = await b.session(0);
    await a.session(0);
  });

  afterAll(async () => {
    await sw?.stop();
    await a?.close();
    await b?.close();
  });

  /**
   * Pings from h1 until `s` gets a packet-in for it (nothing forwards: the controllers ignore
   * packet-ins). h1 knows h2's MAC for good, so every ping puts a frame on the wire at once.
   */
  async function packetInReaches(s: ControllerSession): Promise<void> {
    const got = s.waitFor(
      'PACKET_IN from port 1',
      (m) => m.type === OFPT.PACKET_IN && m.in_port === 1,
      10_000,
      s.received.length,
    );
    let done = false;
    void got.then(
      () => (done = true),
      () => (done = true),
    );
    while (!done) await pingOnce(net.h1, net.h2.ip, 1);
    await got;
  }

  it('every controller gets the asynchronous messages', async () => {
    const a0 = await a.session(0);
    await Promise.all([packetInReaches(a0), packetInReaches(b0)]);
    const froms = [a0.received.length, b0.received.length];
    const r = await ofctl(['mod-port', sw.mgmt, net.h2.port, 'noflood']);
    expect(r.code).toBe(0);
    for (const [i, s] of [a0, b0].entries())
      await s.waitFor(
        'PORT_STATUS MODIFY of port 2',
        (m) =>
          m.type === OFPT.PORT_STATUS &&
          m.reason === OFPPR.MODIFY &&
          m.desc.port_no === 2 &&
          (m.desc.config & OFPPC.NO_FLOOD) !== 0,
        10_000,
        froms[i],
      );
  });

  it('framed nonsense gets an OFPT_ERROR with its xid and the connection lives on', async () => {
    const s = a.sessions.at(-1)!;
    const from = s.received.length;
    const bad = s.bad.length;
    // Unknown message type 0xfe, and a features request in version 4 on a 1.0 connection.
    s.sendRaw(Buffer.from([1, 0xfe, 0, 12, 0, 0, 0x12, 0x34, 1, 2, 3, 4]));
    s.sendRaw(Buffer.from([4, 5, 0, 8, 0, 0, 0x12, 0x35]));
    // An echo request is answered in whatever version it came (as Open vSwitch does).
    s.sendRaw(Buffer.from([4, 2, 0, 8, 0, 0, 0x12, 0x36]));
    const errors = await s.request([]);
    expect(errors.map((e) => [e.xid, e.err_type])).toEqual([
      [0x1234, OFPET.BAD_REQUEST],
      [0x1235, OFPET.BAD_REQUEST],
    ]);
    expect(errors[0]!.code).toBe(OFPBRC.BAD_TYPE);
    expect(errors[1]!.code).toBe(OFPBRC.BAD_VERSION);
    expect(s.received.length).toBeGreaterThan(from);
    // Our codec speaks 1.0 only, so the v4 echo reply lands among the undecodable messages.
    expect(s.bad.slice(bad).map((r) => r.toString('hex'))).toEqual(['0403000800001236']);
    expect(s.isOpen).toBe(true);
  });

  it('a controller sending garbage is disconnected and dialled again; the other is untouched', async () => {
    const s = a.sessions.at(-1)!;
    const n = a.sessions.length;
    const mark = sw.lines.length;
    // A header whose length field is 4: no way to find the next message.
    s.sendRaw(Buffer.from([1, 0, 0, 4, 0, 0, 0, 9]));
    await s.closed;
    await sw.waitForLog(/disconnected/, 5000, mark);
    // The broken session had reached FEATURES, so the backoff restarted at 1 s.
    const again = await a.session(n, 3000);
    await packetInReaches(again);
    expect(b.sessions).toEqual([b0]);
    expect(b0.isOpen).toBe(true);
    await packetInReaches(b0);
    expect(await b0.request([])).toEqual([]);
    expect(sw.running).toBe(true);
  });

  it('a hung controller is dropped by the inactivity probe and dialled again; the other is untouched', async () => {
    const s = a.sessions.at(-1)!;
    const n = a.sessions.length;
    s.hung = true;
    const t0 = performance.now();
    await s.waitFor('ECHO_REQUEST (inactivity probe)', (m) => m.type === OFPT.ECHO_REQUEST, 8000);
    await s.closed;
    const dropped = performance.now() - t0;
    // Echo after 5 s without a word from the controller, disconnect 5 s after that.
    expect(dropped).toBeGreaterThan(4000);
    expect(dropped).toBeLessThan(13_000);
    const again = await a.session(n, 3000);
    expect(again.isOpen).toBe(true);
    expect(b.sessions).toEqual([b0]);
    expect(b0.isOpen).toBe(true);
    expect(await b0.request([])).toEqual([]);
  }, 30_000);
});
