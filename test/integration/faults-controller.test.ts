/*
 * Fault case (issue #5): the controller is killed and restarted, once per fail mode, with ofdp run
 * as users run it (`ofdp run --controller tcp:…`) and two hosts in their own namespaces joined by
 * veths (system ports 1 and 2).
 *
 * - secure: ovs-testcontroller (a real process, SIGKILLed) learns the hosts and installs flows; while
 *   it is away those flows stay and keep forwarding, and a table miss reaches nobody; when it is back
 *   ofdp has reconnected within the backoff and misses are handled again.
 * - standalone and emergency use a scripted controller (scripted-controller.ts), which installs exactly
 *   the flows a case needs (emergency flows included) and ignores packet-ins, so whatever forwards
 *   while it is away is the fail mode's doing: NORMAL in standalone, the emergency table in emergency.
 *
 * Every wait is on an event (a log line, a session, a ping reply polled with a deadline).
 */
import { describe, expect, it } from 'vitest';
import { OFPET, OFPFF, OFPFMFC, OFPT } from '../../src/openflow/constants.js';
import { parseFlow } from '../../src/openflow/flow-syntax/index.js';
import { ofctl } from '../support/ovs/ofctl.js';
import { faultsUnavailable } from '../support/faults/available.js';
import { OfdpProcess, freePort, type OfdpOptions } from '../support/ofdp-run.js';
import { ScriptedController, type ControllerSession } from '../support/faults/scripted-controller.js';
import { pingOnce, pingWithin, rxPackets } from '../support/faults/hosts.js';
import { stopAfterEach } from '../support/stop-after-each.js';
import { suiteHosts, systemPorts } from '../support/suite-hosts.js';
import { listeningTestcontroller } from '../support/testcontroller.js';
import type { WatchedProcess } from '../support/watched-process.js';

const skip = faultsUnavailable(['ovs-testcontroller']);
if (skip) console.warn(`*** SKIPPING controller fault tests: ${skip} ***`);

/** The backoff tops out at 8 s (issue #5); a restarted controller must be back within it (+ slack). */
const RECONNECT_BOUND_MS = 8000 + 2000;

/** dump-flows over the .mgmt socket, one line per flow, without the counters and duration. */
async function flows(sw: OfdpProcess): Promise<{ lines: string[]; raw: string[] }> {
  const r = await ofctl(['dump-flows', sw.mgmt]);
  if (r.code !== 0) throw new Error(`dump-flows failed: ${r.stderr}`);
  const raw = r.stdout.split('\n').filter((l) => l.includes('actions='));
  const lines = raw
    .map((l) => l.replace(/ duration=[^,]*,| table=0,| n_packets=\d+,| n_bytes=\d+,/g, '').trim())
    .sort();
  return { lines, raw };
}

function nPackets(line: string): number {
  return Number(/n_packets=(\d+)/.exec(line)?.[1] ?? NaN);
}

function addFlow(text: string, xid: number, emergency = false) {
  const fm = parseFlow(text, { xid }).flowMod;
  return emergency ? { ...fm, flags: fm.flags | OFPFF.EMERG } : fm;
}

/** Takes the controller away (`kill`) and waits until ofdp logs that it lost the connection. */
async function controllerGone(sw: OfdpProcess, kill: () => Promise<unknown>): Promise<void> {
  const killedAt = sw.lines.length;
  await kill();
  await sw.waitForLog(/disconnected/, 10_000, killedAt);
}

/** Restarts the scripted controller; ofdp's next session must come within the backoff's bound. */
async function controllerBack(ctl: ScriptedController, index: number): Promise<ControllerSession> {
  const restartedAt = performance.now();
  await ctl.restart();
  const s = await ctl.session(index, RECONNECT_BOUND_MS);
  expect(performance.now() - restartedAt).toBeLessThan(RECONNECT_BOUND_MS);
  return s;
}

describe.skipIf(skip)('controller killed and restarted', () => {
  const net = suiteHosts({ h1: '10.77.0.1/24', h2: '10.77.0.2/24' });
  const owned = stopAfterEach();

  /** Options for ofdp in `failMode` with h1 and h2 as ports 1 and 2, dialling `controllers`. */
  function switchOptions(
    bridge: string,
    failMode: NonNullable<OfdpOptions['failMode']>,
    controllers: string[],
  ): OfdpOptions {
    return { bridge: `${bridge}${process.pid}`, ports: systemPorts(net.h1, net.h2), controllers, failMode };
  }

  /** ofdp in `failMode` dialling a scripted controller, with the first session established. */
  async function underScriptedController(bridge: string, failMode: NonNullable<OfdpOptions['failMode']>) {
    const ctl = owned(await ScriptedController.start());
    const sw = owned(await OfdpProcess.start(switchOptions(bridge, failMode, [ctl.target])));
    return { ctl, sw, s0: await ctl.session(0) };
  }

  /**
   * h1 pings h2 once: the table miss must reach `s` as a PACKET_IN and, as the scripted controller
   * forwards nothing, go unanswered.
   */
  async function missReaches(s: ControllerSession, what: string): Promise<void> {
    const ping = pingOnce(net.h1, net.h2.ip, 1);
    await s.waitFor(what, (m) => m.type === OFPT.PACKET_IN && m.in_port === 1);
    expect(await ping).toBe(false);
  }

  it('secure: flows are kept and misses go nowhere while ovs-testcontroller is away', async () => {
    const { h1, h2 } = net;
    const port = await freePort();
    const sw = owned(new OfdpProcess(switchOptions('bs', 'secure', [`tcp:127.0.0.1:${port}`])));
    // ovs-testcontroller's control socket goes to ofdp's rundir (see support/testcontroller.ts).
    let tc: WatchedProcess = owned(await listeningTestcontroller(port, sw.rundir));
    await sw.waitForLog(/listening on/);
    const connected = new RegExp(`tcp:127\\.0\\.0\\.1:${port}.*: connected \\(primary\\)`);
    await sw.waitForLog(connected, RECONNECT_BOUND_MS);

    // The learning switch installs exact-match flows for h1 → h2 echo requests and their replies.
    await pingWithin(h1, h2.ip, 10_000);
    const before = await flows(sw);
    expect(before.lines.some((l) => l.includes('icmp') && l.includes('nw_dst=10.77.0.2'))).toBe(true);

    await controllerGone(sw, () => tc.stop('SIGKILL'));
    // Secure: the controller's flows are all still there, and still forward.
    expect((await flows(sw)).lines).toEqual(before.lines);
    expect(await pingWithin(h1, h2.ip, 5000)).toBeGreaterThanOrEqual(1);
    // h2 → h1 echo requests have no flow: the miss goes nowhere (h1 receives nothing at all).
    const rx = await rxPackets(h1);
    expect(await pingOnce(h2, h1.ip, 1, 2)).toBe(false);
    expect(await rxPackets(h1)).toBe(rx);
    expect(sw.running).toBe(true);

    const restartedAt = performance.now();
    const mark = sw.lines.length;
    tc = owned(await listeningTestcontroller(port, sw.rundir));
    await sw.waitForLog(connected, RECONNECT_BOUND_MS, mark);
    expect(performance.now() - restartedAt).toBeLessThan(RECONNECT_BOUND_MS);
    // Back under control: the miss is handled by the controller again.
    await pingWithin(h2, h1.ip, 10_000);
  });

  it('standalone: NORMAL forwards while the controller is away, misses go to it when it is back', async () => {
    const { h1, h2 } = net;
    const { ctl, sw, s0 } = await underScriptedController('bn', 'standalone');
    // Connected: misses go to the controller, which forwards nothing.
    await missReaches(s0, 'PACKET_IN from port 1');

    await controllerGone(sw, () => ctl.kill());
    // Away: the bridge is a MAC-learning switch.
    await pingWithin(h1, h2.ip, 5000);
    await pingWithin(h2, h1.ip, 5000);

    const s1 = await controllerBack(ctl, 1);
    // Back: NORMAL is off again, misses go to the controller.
    await missReaches(s1, 'PACKET_IN after reconnecting');
    expect(sw.running).toBe(true);
  });

  it('emergency: normal flows deleted and the emergency table forwards while away; normal table again when back', async () => {
    const { h1, h2 } = net;
    const { ctl, sw, s0 } = await underScriptedController('be', 'emergency');
    // The normal table drops everything; the emergency table forwards between the two hosts.
    const errors = await s0.request([
      addFlow('priority=1,actions=drop', s0.xid()),
      addFlow('priority=1,in_port=1,actions=output:2', s0.xid(), true),
      addFlow('priority=1,in_port=2,actions=output:1', s0.xid(), true),
    ]);
    expect(errors).toEqual([]);
    // Emergency flows may not time out (OpenFlow 1.0: OFPFMFC_BAD_EMERG_TIMEOUT).
    const timed = await s0.request([addFlow('priority=2,idle_timeout=10,actions=drop', s0.xid(), true)]);
    expect(timed.map((e) => [e.err_type, e.code])).toEqual([
      [OFPET.FLOW_MOD_FAILED, OFPFMFC.BAD_EMERG_TIMEOUT],
    ]);
    expect(await pingOnce(h1, h2.ip, 1)).toBe(false);
    const connected = await flows(sw);
    expect(connected.lines).toEqual(['cookie=0x0, priority=1 actions=drop']);
    expect(nPackets(connected.raw[0]!)).toBeGreaterThan(0);
    expect(s0.received.some((m) => m.type === OFPT.PACKET_IN)).toBe(false);

    await controllerGone(sw, () => ctl.kill());
    // Emergency mode: the normal flows are gone, the emergency flows forward.
    expect((await flows(sw)).lines).toEqual([]);
    await pingWithin(h1, h2.ip, 5000);

    const s1 = await controllerBack(ctl, 1);
    // Normal operation: the (now empty) normal table is in use again, so a frame misses and
    // comes to the controller instead of taking the emergency flows.
    await missReaches(s1, 'PACKET_IN after reconnecting');
    // And the controller's new flows are the ones that forward.
    expect(
      await s1.request([
        addFlow('priority=5,in_port=1,actions=output:2', s1.xid()),
        addFlow('priority=5,in_port=2,actions=output:1', s1.xid()),
      ]),
    ).toEqual([]);
    await pingWithin(h1, h2.ip, 5000);
    const after = await flows(sw);
    expect(after.lines).toEqual([
      'cookie=0x0, priority=5,in_port=1 actions=output:2',
      'cookie=0x0, priority=5,in_port=2 actions=output:1',
    ]);
    for (const l of after.raw) expect(nPackets(l)).toBeGreaterThan(0);
    expect(sw.running).toBe(true);
  });
});
