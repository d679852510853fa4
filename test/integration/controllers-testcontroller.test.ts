/*
 * ovs-testcontroller (Open vSwitch's learning-switch controller) drives ofdp between two hosts in
 * their own network namespaces, which must then ping each other (issue #5): h1 is joined by a veth
 * pair (its outer end an ofdp `system:` port), h2 by a tap that ofdp creates (`tap:`) and the test
 * then moves into h2's namespace — ofdp must keep the port through the move (the kernel reports
 * it as RTM_DELLINK with IFLA_NEW_NETNSID; the tap's fd keeps working) and follow its state there.
 *
 * What it proves, beyond "ping works":
 * - ofdp's buffered packet-ins are used: ovs-testcontroller answers a packet-in for a known
 *   destination with a FLOW_MOD naming its buffer_id and sends *no* PACKET_OUT (clients.md §4), so
 *   the first echo request of each ping only arrives if ofdp applies the new flow's actions to that
 *   buffer. The loopback capture (decoded by ovs-ofctl, not by our codec) shows the
 *   PACKET_IN(buffer N) → FLOW_MOD(buf N) pairs and no PACKET_OUT for N, and the flow's n_packets
 *   counts the buffered packet (it went through the table, as in Open vSwitch).
 * - the flows are ovs-testcontroller's: exact 12-tuple matches, idle_timeout=60, priority 1 as
 *   sent (ofdp does not force exact matches to 65535).
 * - both directions of the channel: ofdp dialling a passive controller (--controller), and the
 *   controller dialling ofdp's ptcp: listener, where it is a *service* connection that gets
 *   packet-ins only after its SET_CONFIG miss_send_len=128.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noDevicesReason } from '../netdev/helpers.js';
import { uniqueName, type Host, type Netns } from '../support/netns.js';
import { runTool, waitFor } from '../support/ovs/tools.js';
import {
  LoopbackCapture,
  OfdpProcess,
  freePort,
  ofctl,
  type OfdpOptions,
  type PrintedMessage,
} from '../support/ofdp-run.js';
import { stopAfterEach } from '../support/stop-after-each.js';
import { suiteHosts, systemPorts } from '../support/suite-hosts.js';
import { listeningTestcontroller, ovsTestcontroller } from '../support/testcontroller.js';

function missing(): string | undefined {
  const r = noDevicesReason();
  if (r) return r;
  for (const tool of ['ovs-testcontroller', 'ovs-ofctl', 'tcpdump', 'ping', 'ss'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  return undefined;
}
const skip = missing();
if (skip) console.warn(`\n*** SKIPPING ovs-testcontroller integration tests: ${skip} ***\n`);

/** ping from `from` to `to`: three echo requests, 0.2 s apart (plus any extra ping flags). */
async function ping(from: { ns: Netns }, to: string, ...extra: string[]): Promise<string> {
  const r = await runTool('ping', ['-n', '-c', '3', '-i', '0.2', '-W', '2', ...extra, to], {
    netns: from.ns.name,
    timeoutMs: 15_000,
  });
  return r.stdout + r.stderr;
}

function flushNeighbours(...hosts: { ns: Netns }[]): void {
  for (const h of hosts) h.ns.exec('ip neigh flush all');
}

/** Three echo requests each way between `a` and `b`, every one answered. */
async function pingsBothWays(a: Host, b: Host): Promise<void> {
  expect(await ping(a, b.ip)).toMatch(/3 packets transmitted, 3 received/);
  expect(await ping(b, a.ip)).toMatch(/3 packets transmitted, 3 received/);
}

/** Flows in ovs-ofctl dump-flows output. */
function flowCount(dump: string): number {
  return dump.split('\n').filter((l) => l.startsWith(' cookie=')).length;
}

/** Every flow ovs-testcontroller installed came from one FLOW_MOD: wait until the capture has them all. */
function flowModCount(msgs: PrintedMessage[]): number {
  return msgs.filter((m) => m.type === 'OFPT_FLOW_MOD').length;
}

/** Checks the capture of one ovs-testcontroller session; returns the buffer ids applied by flow-mods. */
function checkBufferedSession(msgs: PrintedMessage[], controllerPort: number): number[] {
  const fromSwitch = msgs.filter((m) => m.dstPort === controllerPort);
  const fromController = msgs.filter((m) => m.srcPort === controllerPort);
  expect(fromSwitch.length).toBeGreaterThan(0);
  // Nothing ofdp or the controller did was refused.
  expect(msgs.filter((m) => m.type === 'OFPT_ERROR').map((m) => m.text)).toEqual([]);

  const packetIns = fromSwitch.filter((m) => m.type === 'OFPT_PACKET_IN');
  const buffered = new Set(packetIns.filter((m) => m.bufferId !== undefined).map((m) => m.bufferId!));
  // ofdp buffers every table miss here (n_buffers 256, miss_send_len 128 > these frames).
  expect(packetIns.length).toBeGreaterThan(0);
  expect(buffered.size).toBe(packetIns.length);

  const flowMods = fromController.filter((m) => m.type === 'OFPT_FLOW_MOD');
  const packetOuts = fromController.filter((m) => m.type === 'OFPT_PACKET_OUT');
  const applied = flowMods.filter((m) => m.bufferId !== undefined).map((m) => m.bufferId!);
  expect(applied.length).toBeGreaterThan(0);
  for (const id of applied) {
    // Each flow-mod names a buffer ofdp announced, and that buffer is never also packet-out.
    expect(buffered.has(id)).toBe(true);
    expect(packetOuts.filter((m) => m.bufferId === id)).toEqual([]);
  }
  // Floods of unknown destinations (the ARP requests) also go by buffer, not by data.
  for (const po of packetOuts) {
    expect(po.text).toMatch(/actions=FLOOD/);
    expect(buffered.has(po.bufferId!)).toBe(true);
  }
  return applied;
}

/**
 * Moves the tap `tap` (ofdp's port `portNo`) into `ns`, addresses and raises it there, and waits
 * until ofdp reports the port up again (it follows the device into the namespace).
 */
async function tapHost(sw: OfdpProcess, portNo: number, tap: string, ns: Netns, cidr: string): Promise<Host> {
  const moved = await runTool('ip', ['link', 'set', tap, 'netns', ns.name]);
  expect(moved.stderr).toBe('');
  ns.exec(`ip link set ${tap} up`);
  ns.exec(`ip addr add ${cidr} dev ${tap}`);
  const mac = ns.exec(`cat /sys/class/net/${tap}/address`).trim();
  const portLine = new RegExp(
    `^ ${portNo}\\(${tap}\\): addr:${mac}\\n\\s+config:\\s+0\\n\\s+state:\\s+0\\n`,
    'm',
  );
  await waitFor(
    `ofdp to report port ${portNo} (${tap}) up in its new namespace`,
    async () => portLine.test(await ofctl('show', sw.mgmt)),
    10_000,
    50,
  );
  return { ns, port: tap, ifname: tap, ip: cidr.split('/')[0]!, mac, exec: (cmd) => ns.exec(cmd) };
}

describe.skipIf(skip !== undefined)('ovs-testcontroller drives ofdp', () => {
  const net = suiteHosts({ h1: '10.0.0.1/24' });
  let ns2: Netns;
  let ovsRundir: string;
  // Each test's processes go when it ends, pass or fail, so a failed test cannot leave an ofdp
  // attached to h1's veth under the next one.
  const owned = stopAfterEach();

  beforeAll(() => {
    ovsRundir = mkdtempSync(join(tmpdir(), 'ofdp-tc-'));
    ns2 = net.topo.namespace();
    for (const ns of [net.h1.ns, ns2]) ns.exec('sysctl -qw net.ipv6.conf.all.disable_ipv6=1');
  });

  afterAll(() => rmSync(ovsRundir, { recursive: true, force: true }));

  /**
   * ofdp with h1's veth as port 1 and a new tap as port 2, which then becomes host h2 in ns2
   * (tapHost); `connected`, when given, is the log line awaited before the tap moves.
   */
  async function ofdpWithTapHost(
    channel: Pick<OfdpOptions, 'controllers' | 'listen'>,
    connected?: RegExp,
  ): Promise<{ sw: OfdpProcess; h2: Host }> {
    const tap = uniqueName('tp');
    const sw = owned(
      await OfdpProcess.start({
        bridge: uniqueName('bt'),
        ports: [...systemPorts(net.h1), `tap:${tap}=2`],
        ...channel,
        failMode: 'secure',
      }),
    );
    if (connected) await sw.proc.waitForOutput(connected);
    const h2 = await tapHost(sw, 2, tap, ns2, '10.0.0.2/24');
    flushNeighbours(net.h1, h2);
    return { sw, h2 };
  }

  it('ofdp dials a passive ovs-testcontroller: veth host and moved-tap host ping both ways via buffered flow-mods', async () => {
    const { h1 } = net;
    const port = await freePort();
    const tc = owned(await listeningTestcontroller(port, ovsRundir));
    const cap = owned(new LoopbackCapture(port));
    await cap.start();
    const { sw, h2 } = await ofdpWithTapHost(
      { controllers: [`tcp:127.0.0.1:${port}`] },
      /connected \(primary\)/,
    );

    await pingsBothWays(h1, h2);
    // The port was kept through the move, never deleted and re-created.
    expect(sw.proc.output()).not.toMatch(/vanished/);

    // ovs-testcontroller's exact-match flows, as sent (priority 1, idle 60), in both directions.
    const flows = await ofctl('dump-flows', sw.mgmt);
    const exact = (inPort: number, src: Host, dst: Host, type: number, out: number) =>
      new RegExp(
        `n_packets=(\\d+), n_bytes=\\d+, idle_timeout=60, priority=1,icmp,in_port=${inPort},vlan_tci=0x0000,` +
          `dl_src=${src.mac},dl_dst=${dst.mac},nw_src=${src.ip},nw_dst=${dst.ip},nw_tos=0,` +
          `icmp_type=${type},icmp_code=0 actions=output:${out}\\n`,
      );
    const request12 = exact(1, h1, h2, 8, 2).exec(flows);
    expect(request12, flows).not.toBeNull();
    expect(exact(2, h2, h1, 0, 1).exec(flows), flows).not.toBeNull();
    expect(exact(2, h2, h1, 8, 1).exec(flows), flows).not.toBeNull();
    expect(exact(1, h1, h2, 0, 2).exec(flows), flows).not.toBeNull();
    // All three echo requests counted: the first reached h2 from its buffer, sent on by the
    // flow-mod that named the buffer (its own actions).
    expect(request12![1]).toBe('3');
    expect(flows).not.toMatch(/priority=65535/);

    // Frames longer than miss_send_len: the packet-in carries 128 bytes, the buffer the whole
    // frame (a new ToS keeps them off the flows above). ovs-testcontroller's flow, built from the
    // truncated data, has nw_src/nw_dst/nw_proto/nw_tos zero (Open vSwitch's parser rejects the
    // short IP header) and so matches none of these frames: each echo request is one packet-in,
    // forwarded whole by the flow-mod naming its buffer, which replaces the previous identical
    // flow (so it counts just the last one).
    expect(await ping(h1, h2.ip, '-s', '1000', '-Q', '0x20')).toMatch(/3 packets transmitted, 3 received/);
    const allFlows = await ofctl('dump-flows', sw.mgmt);
    expect(allFlows).toMatch(
      new RegExp(
        `n_packets=1, n_bytes=1042, idle_timeout=60, priority=1,ip,in_port=1,vlan_tci=0x0000,` +
          `dl_src=${h1.mac},dl_dst=${h2.mac},nw_src=0\\.0\\.0\\.0,nw_dst=0\\.0\\.0\\.0,nw_proto=0,nw_tos=0 actions=output:2\\n`,
      ),
    );

    const msgs = await cap.waitForMessages((ms) => flowModCount(ms) >= flowCount(allFlows));
    await cap.stop();
    const ctrl = msgs.filter((m) => m.srcPort === port).map((m) => m.type);
    // The controller's session opening as clients.md §4 records it.
    expect(ctrl.slice(0, 3)).toEqual(['OFPT_HELLO', 'OFPT_FEATURES_REQUEST', 'OFPT_SET_CONFIG']);
    // One buffered flow-mod per new flow at least: 6 icmp flows plus the ARP replies.
    expect(checkBufferedSession(msgs, port).length).toBeGreaterThanOrEqual(6);
    expect(
      msgs.some((m) => /total_len=1042 in_port=1 \(via no_match\) data_len=128 buffer=/.test(m.text)),
    ).toBe(true);
    await sw.stop();
    await tc.stop();
  });

  it('ovs-testcontroller dials ofdp ptcp: (service connection) and gets packet-ins after its SET_CONFIG', async () => {
    const { sw, h2 } = await ofdpWithTapHost({ listen: ['ptcp:0'] });
    const port = sw.tcpPorts[0]!;
    expect(port).toBeGreaterThan(0);
    const cap = owned(new LoopbackCapture(port));
    await cap.start();
    const tc = owned(ovsTestcontroller(`tcp:127.0.0.1:${port}`, ovsRundir));
    await sw.proc.waitForOutput(/connected \(service\)/);

    await pingsBothWays(net.h1, h2);
    const flows = await ofctl('dump-flows', sw.mgmt);
    expect(flows).toMatch(/idle_timeout=60, priority=1,icmp,in_port=1,/);

    const msgs = await cap.waitForMessages((ms) => flowModCount(ms) >= flowCount(flows));
    await cap.stop();
    // A service connection starts with miss_send_len 0: no packet-in precedes the SET_CONFIG.
    const setConfig = msgs.findIndex((m) => m.type === 'OFPT_SET_CONFIG');
    const firstPacketIn = msgs.findIndex((m) => m.type === 'OFPT_PACKET_IN');
    expect(setConfig).toBeGreaterThanOrEqual(0);
    expect(msgs[setConfig]!.text).toMatch(/miss_send_len=128/);
    expect(firstPacketIn).toBeGreaterThan(setConfig);
    // Here ofdp is the listener: messages from the switch have source port `port`.
    const reversed = msgs.map((m) => ({ ...m, srcPort: m.dstPort, dstPort: m.srcPort }));
    expect(checkBufferedSession(reversed, port).length).toBeGreaterThanOrEqual(4);
    await tc.stop();
    await sw.stop();
  });

  // Its other modes exercise other flow shapes: FLOOD flows (hub), wildcarded flows and ENQUEUE
  // (to a queue ofdp does not configure, which forwards as Open vSwitch's netdev datapath does).
  it.each([
    [
      ['-H'],
      'hub',
      (h1: Host, h2: Host) =>
        `priority=1,icmp,in_port=1,vlan_tci=0x0000,dl_src=${h1.mac},dl_dst=${h2.mac},.* actions=FLOOD`,
    ],
    [
      ['-w'],
      'wildcards',
      (h1: Host, h2: Host) =>
        `priority=1,in_port=1,vlan_tci=0x0000,dl_src=${h1.mac},dl_dst=${h2.mac} actions=output:2`,
    ],
    [
      ['-q', '1'],
      'enqueue',
      (h1: Host, h2: Host) =>
        `priority=1,icmp,in_port=1,vlan_tci=0x0000,dl_src=${h1.mac},dl_dst=${h2.mac},.* actions=enqueue:2:1`,
    ],
  ])('ovs-testcontroller %j (%s) drives ofdp too', async (opts, _name, flow) => {
    const port = await freePort();
    owned(await listeningTestcontroller(port, ovsRundir, opts));
    const { sw, h2 } = await ofdpWithTapHost(
      { controllers: [`tcp:127.0.0.1:${port}`] },
      /connected \(primary\)/,
    );
    await pingsBothWays(net.h1, h2);
    const flows = await ofctl('dump-flows', sw.mgmt);
    expect(flows).toMatch(new RegExp(flow(net.h1, h2)));
  });
});
