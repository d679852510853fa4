/*
 * The embedded learning controller over sockets, driving real switches whose hosts (network
 * namespaces joined by veths) ping each other:
 * - Open vSwitch (userspace datapath, n_buffers 0): unbuffered packet-ins, so every flow-mod is
 *   followed by a PACKET_OUT carrying the data;
 * - ofdp (`ofdp run` in a child process, dialling the controller over TCP): buffered packet-ins,
 *   released by the flow-mods that name them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serveController, type ControllerService } from '../../src/demo/controller-tcp.js';
import type { ControllerEvent } from '../../src/demo/learning-controller.js';
import { OFP_NO_BUFFER } from '../../src/openflow/constants.js';
import { Topology } from '../support/netns.js';
import { OfdpProcess } from '../support/ofdp-run.js';
import { ovsUnavailableReason, runTool, startOvs, type OvsHandle } from '../support/ovs/index.js';
import { withDeadline } from '../support/waiters.js';

const noOvs = ovsUnavailableReason();
if (noOvs) console.warn(`SKIPPING the learning controller against Open vSwitch: ${noOvs}`);
const isRoot = process.getuid?.() === 0;
if (!isRoot)
  console.warn('SKIPPING the learning controller against ofdp over TCP: not root (veths, namespaces)');

const dir = mkdtempSync(join(tmpdir(), 'ofdp-ctl-test-'));
const topo = new Topology();
let ovs: OvsHandle | undefined;
let svc: ControllerService | undefined;
let sw: OfdpProcess | undefined;
afterAll(async () => {
  await sw?.stop();
  await svc?.close();
  await ovs?.stop();
  topo.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** A controller service whose events are recorded; `features` resolves on the switch's FEATURES_REPLY. */
async function controller(target: string) {
  const events: ControllerEvent[] = [];
  let onFeatures: () => void = () => undefined;
  const features = new Promise<void>((r) => (onFeatures = r));
  const s = await serveController(target, {
    onEvent: (e) => {
      events.push(e);
      if (e.kind === 'features') onFeatures();
    },
  });
  return { s, events, features };
}

async function ping(from: { ns: { name: string } }, to: { ip: string }) {
  const r = await runTool('ping', ['-n', '-c', '3', '-i', '0.2', '-W', '2', to.ip], {
    netns: from.ns.name,
    timeoutMs: 15_000,
  });
  return r.stdout;
}

describe('learning controller over sockets', () => {
  it.runIf(!noOvs)('drives Open vSwitch: hosts ping, flows installed, unbuffered packet-ins', async () => {
    const h1 = topo.host('10.0.0.1/24');
    const h2 = topo.host('10.0.0.2/24');
    ovs = await startOvs();
    const br = await ovs.addBridge('pcbr');
    await ovs.addPort(br, h1.port, 1);
    await ovs.addPort(br, h2.port, 2);
    // Open vSwitch only dials unix: sockets inside its own run directory.
    const sock = join(ovs.dir, 'learning-ctl.sock');
    const c = await controller(`punix:${sock}`);
    svc = c.s;
    await ovs.setControllers(br, [`unix:${sock}`]);
    await withDeadline(c.features, 10_000, 'Open vSwitch never connected to the controller');

    expect(await ping(h1, h2)).toContain('3 packets transmitted, 3 received');
    const flows = c.events.filter((e) => e.kind === 'flow');
    expect(c.events.some((e) => e.kind === 'flood')).toBe(true);
    expect(flows.length).toBeGreaterThanOrEqual(2);
    // OVS 3.1 never buffers: every decision carried the data.
    for (const f of flows) expect(f.kind === 'flow' && f.bufferId).toBe(OFP_NO_BUFFER);
    const dump = await br.ofctl('dump-flows', [], { flowFormat: 'OpenFlow10' });
    expect(dump.code).toBe(0);
    expect(dump.stdout).toMatch(
      /idle_timeout=60, .*icmp,in_port=1,.*nw_src=10\.0\.0\.1,nw_dst=10\.0\.0\.2.* actions=output:2/,
    );
    await svc.close();
    svc = undefined;
  });

  it.runIf(isRoot)(
    'drives ofdp over TCP: hosts ping, buffered packet-ins released by the flow-mods',
    async () => {
      const h1 = topo.host('10.0.1.1/24');
      const h2 = topo.host('10.0.1.2/24');
      const c = await controller('ptcp:0:127.0.0.1');
      svc = c.s;
      const port = c.s.address.split(':')[1]!;
      sw = new OfdpProcess({
        bridge: `dmt${process.pid}`,
        failMode: 'secure',
        ports: [`system:${h1.port}=1`, `system:${h2.port}=2`],
        controllers: [`tcp:127.0.0.1:${port}`],
        logLevel: 'warn',
        rundir: dir,
      });
      await withDeadline(c.features, 10_000, 'ofdp run never connected to the controller');

      expect(await ping(h1, h2)).toContain('3 packets transmitted, 3 received');
      const flows = c.events.filter((e) => e.kind === 'flow');
      expect(flows.length).toBeGreaterThanOrEqual(2);
      for (const f of flows) expect(f.kind === 'flow' && f.bufferId).not.toBe(OFP_NO_BUFFER);
      const dump = await runTool('ovs-ofctl', ['-O', 'OpenFlow10', '-t', '5', 'dump-flows', sw.mgmt]);
      expect(dump.stdout).toMatch(
        /n_packets=3, .*idle_timeout=60, .*icmp,in_port=1,.*nw_dst=10\.0\.1\.2.* actions=output:2/,
      );
    },
  );
});
