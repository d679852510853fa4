/*
 * Fault case (issue #5): an interface deleted under a running bridge, and recreated.
 *
 * `ofdp run` (standalone, no controller: NORMAL forwards) has three veth system ports joining three
 * hosts in their own namespaces, and one tap port. `ovs-ofctl monitor` on the .mgmt socket (with a
 * miss_send_len, so the service connection gets asynchronous messages) watches port status.
 *
 * - `ip link del` the switch end of host 3's veth: PORT_STATUS DELETE for port 3, `ovs-ofctl show`
 *   no longer lists it, ofdp keeps running and hosts 1 and 2 still ping each other. Recreating the
 *   veth under the same names brings PORT_STATUS ADD with the same port number 3, and host 3 is
 *   reachable again.
 * - `ip link del` the tap ofdp created, or its LOCAL port (an internal tap named after the bridge):
 *   PORT_STATUS DELETE for the port; ofdp owns its taps, so it creates them again (PORT_STATUS ADD,
 *   same number).
 * - A link going down and up, a system port's interface moved to another namespace and back, and
 *   ofdp itself killed with SIGKILL and started again (over its stale .mgmt socket, same numbers).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { sh, trySh, uniqueName } from '../support/netns.js';
import { ofctl } from '../support/ovs/ofctl.js';
import { faultsUnavailable } from '../support/faults/available.js';
import { OfdpProcess } from '../support/ofdp-run.js';
import { OfctlMonitor } from '../support/faults/monitor.js';
import { pingWithin } from '../support/faults/hosts.js';
import { suiteHosts, systemPorts } from '../support/suite-hosts.js';

const skip = faultsUnavailable();
if (skip) console.warn(`*** SKIPPING interface fault tests: ${skip} ***`);

describe.skipIf(skip)('interfaces deleted under a running bridge', () => {
  const net = suiteHosts({ h1: '10.78.0.1/24', h2: '10.78.0.2/24', h3: '10.78.0.3/24' });
  let tap: string;
  let sw: OfdpProcess;
  let mon: OfctlMonitor;

  beforeAll(async () => {
    tap = uniqueName('tp');
    sw = await OfdpProcess.start({
      bridge: `bp${process.pid}`,
      ports: [...systemPorts(net.h1, net.h2, net.h3), `tap:${tap}=4`],
      failMode: 'standalone',
      local: true,
    });
    mon = await OfctlMonitor.start(sw.mgmt, sw.rundir);
  });

  afterAll(async () => {
    mon?.stop();
    await sw?.stop();
    trySh(`ip link del ${tap} 2>/dev/null`);
    trySh(`ip link del ${sw?.opts.bridge} 2>/dev/null`);
  });

  const show = async (): Promise<string> => {
    const r = await ofctl(['show', sw.mgmt]);
    expect(r.code).toBe(0);
    return r.stdout;
  };

  it('forwards between all three hosts to begin with', async () => {
    const { h1, h2, h3 } = net;
    await pingWithin(h1, h3.ip, 5000);
    await pingWithin(h2, h3.ip, 5000);
  });

  /** The switch end's MAC before deletion: the veth is recreated as it was, MACs included. */
  let portMac = '';

  it('a deleted veth gives PORT_STATUS DELETE, no crash, and the other ports still forward', async () => {
    const { h1, h2, h3 } = net;
    portMac = sh(`cat /sys/class/net/${h3.port}/address`).trim();
    const from = mon.output.length;
    sh(`ip link del ${h3.port}`);
    await mon.waitFor(new RegExp(`OFPT_PORT_STATUS \\(xid=0x0\\): DEL: 3\\(${h3.port}\\)`), 10_000, from);
    expect(sw.running).toBe(true);
    const s = await show();
    expect(s).not.toContain(`(${h3.port})`);
    expect(s).toMatch(new RegExp(`^ 1\\(${h1.port}\\)`, 'm'));
    expect(s).toMatch(new RegExp(`^ 2\\(${h2.port}\\)`, 'm'));
    await pingWithin(h1, h2.ip, 5000);
  });

  it('the veth recreated under the same name comes back as PORT_STATUS ADD with port number 3', async () => {
    const { h1, h2, h3 } = net;
    const from = mon.output.length;
    // Same names and MACs, so the hosts' ARP caches stay right (what ofdp must get right is the port).
    sh(
      `ip link add ${h3.port} address ${portMac} type veth peer name ${h3.ifname} address ${h3.mac} netns ${h3.ns.name}`,
    );
    sh(`sysctl -qw net.ipv6.conf.${h3.port}.disable_ipv6=1`);
    h3.exec(`sysctl -qw net.ipv6.conf.${h3.ifname}.disable_ipv6=1`);
    h3.exec(`ip addr add 10.78.0.3/24 dev ${h3.ifname}`);
    h3.exec(`ip link set ${h3.ifname} up`);
    sh(`ip link set ${h3.port} up`);
    await mon.waitFor(
      new RegExp(`OFPT_PORT_STATUS \\(xid=0x0\\): ADD: 3\\(${h3.port}\\): addr:${portMac}`),
      10_000,
      from,
    );
    expect(await show()).toMatch(new RegExp(`^ 3\\(${h3.port}\\): addr:${portMac}`, 'm'));
    await pingWithin(h1, h3.ip, 10_000);
    await pingWithin(h3, h2.ip, 5000);
    expect(sw.running).toBe(true);
  });

  it('a tap deleted from outside gives PORT_STATUS DELETE and ofdp creates it again as port 4', async () => {
    const { h1, h2 } = net;
    expect(await show()).toMatch(new RegExp(`^ 4\\(${tap}\\)`, 'm'));
    const from = mon.output.length;
    sh(`ip link del ${tap}`);
    const del = await mon.waitFor(
      new RegExp(`OFPT_PORT_STATUS \\(xid=0x0\\): DEL: 4\\(${tap}\\)`),
      10_000,
      from,
    );
    await mon.waitFor(
      new RegExp(`OFPT_PORT_STATUS \\(xid=0x0\\): ADD: 4\\(${tap}\\)`),
      10_000,
      from + del.index,
    );
    expect(await show()).toMatch(new RegExp(`^ 4\\(${tap}\\)`, 'm'));
    expect(sw.running).toBe(true);
    await pingWithin(h1, h2.ip, 5000);
  });

  it('the LOCAL port deleted from outside gives PORT_STATUS DELETE and comes back as LOCAL', async () => {
    const br = sw.opts.bridge;
    expect(await show()).toMatch(new RegExp(`^ LOCAL\\(${br}\\)`, 'm'));
    const from = mon.output.length;
    sh(`ip link del ${br}`);
    const del = await mon.waitFor(
      new RegExp(`OFPT_PORT_STATUS \\(xid=0x0\\): DEL: LOCAL\\(${br}\\)`),
      10_000,
      from,
    );
    await mon.waitFor(
      new RegExp(`OFPT_PORT_STATUS \\(xid=0x0\\): ADD: LOCAL\\(${br}\\)`),
      10_000,
      from + del.index,
    );
    expect(await show()).toMatch(new RegExp(`^ LOCAL\\(${br}\\)`, 'm'));
    expect(sw.running).toBe(true);
  });

  it('a port whose link goes down and up is modified, not deleted, and forwards again', async () => {
    const { h1, h2 } = net;
    const from = mon.output.length;
    sh(`ip link set ${h2.port} down`);
    const down = await mon.waitFor(
      new RegExp(`OFPT_PORT_STATUS \\(xid=0x0\\): MOD: 2\\(${h2.port}\\)[^]*?state:\\s+LINK_DOWN`),
      10_000,
      from,
    );
    sh(`ip link set ${h2.port} up`);
    await mon.waitFor(
      new RegExp(
        `OFPT_PORT_STATUS \\(xid=0x0\\): MOD: 2\\(${h2.port}\\)[^\\n]*\\n\\s+config:\\s+0\\n\\s+state:\\s+0\\n`,
      ),
      10_000,
      from + down.index + down[0].length,
    );
    expect(mon.output.slice(from)).not.toMatch(/DEL: 2\(/);
    await pingWithin(h1, h2.ip, 10_000);
  });

  it('a system port moved into another namespace is gone for the bridge, and back under its number when it returns', async () => {
    const { h1, h3 } = net;
    const from = mon.output.length;
    const away = net.topo.namespace();
    sh(`ip link set ${h3.port} netns ${away.name}`);
    const del = await mon.waitFor(
      new RegExp(`OFPT_PORT_STATUS \\(xid=0x0\\): DEL: 3\\(${h3.port}\\)`),
      10_000,
      from,
    );
    expect(sw.running).toBe(true);
    away.exec(`ip link set ${h3.port} netns 1`);
    sh(`ip link set ${h3.port} up`);
    await mon.waitFor(
      new RegExp(`OFPT_PORT_STATUS \\(xid=0x0\\): ADD: 3\\(${h3.port}\\)`),
      10_000,
      from + del.index + del[0].length,
    );
    await pingWithin(h1, h3.ip, 10_000);
  });

  it('ofdp killed with SIGKILL starts again over its stale .mgmt socket, with the same port numbers', async () => {
    const { h1, h2, h3 } = net;
    const mgmt = sw.mgmt;
    mon.stop();
    await sw.crash();
    // Its taps went with it (ofdp's taps are not persistent); the stale socket file stayed.
    expect(trySh(`ip link show dev ${tap} 2>/dev/null`)).toBeUndefined();
    expect(existsSync(mgmt.slice('unix:'.length))).toBe(true);
    sw = await OfdpProcess.start({ ...sw.opts, rundir: sw.rundir });
    const s = await show();
    for (const [n, name] of [
      [1, h1.port],
      [2, h2.port],
      [3, h3.port],
      [4, tap],
    ] as const)
      expect(s).toMatch(new RegExp(`^ ${n}\\(${name}\\)`, 'm'));
    await pingWithin(h1, h2.ip, 10_000);
    await pingWithin(h3, h1.ip, 10_000);
  });
});
