/*
 * `ofdp demo`: a small lab that shows ofdp working, right after `npm ci`.
 *
 * With root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN), iproute2 and ping: a bridge with its LOCAL
 * port and N hosts, each a network namespace joined to the bridge by a veth (a system port); the
 * embedded learning controller (learning-controller.ts) is attached in-process, and the hosts ping
 * each other with the real `ping`. Without them: the same bridge on dummy ports with simulated
 * hosts (sim-host.ts) that answer ARP and ICMP echo, and the same story, marked as simulated with
 * the reason. `--controller` replaces the embedded controller with any OpenFlow 1.0 controller.
 *
 * Then it prints what happened (ports, the controller's decisions, the flows it installed as
 * `ovs-ofctl dump-flows` shows them, port counters, ping round trips) and either exits (`once`) or
 * keeps the lab up, printing the controller's further decisions, until SIGINT/SIGTERM.
 *
 * Cleanup: everything created is named after this process (names.ts) and removed on every way out
 * — normal end, SIGINT/SIGTERM, an error (finally), and process exit (a synchronous last resort
 * for the namespaces). What a SIGKILLed demo leaves behind is removed by the next demo at start.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunConfig } from '../bridge/run-config.js';
import { startSwitch, type RunningSwitch } from '../bridge/switch.js';
import { DummyProvider } from '../netdev/dummy.js';
import { defaultRegistry } from '../netdev/registry.js';
import { OFPP } from '../openflow/constants.js';
import { macToString, matchAll, parseIp, parseMac } from '../openflow/match.js';
import { LearningController, type ControllerEvent } from './learning-controller.js';
import { linkLocal, type LocalLink } from './local-link.js';
import { demoNames, removeStale, removeStaleSockets } from './names.js';
import { NetnsLab, onPath } from './netns-lab.js';
import { formatEvent, formatFlows, formatPing, formatPortStats } from './report.js';
import { SimHost, type PingResult } from './sim-host.js';

export interface DemoOptions {
  /** Exit after the pings instead of keeping the lab up. */
  once: boolean;
  /** Number of hosts (2..4). */
  hosts: number;
  /** Echo requests per ping. */
  count: number;
  /** Use simulated hosts on dummy ports even with privileges. */
  simulate: boolean;
  /** External controllers (instead of the embedded one). */
  controllers: string[];
  /** Extra listeners (ptcp:…), besides the .mgmt socket. */
  listen: string[];
  rundir?: string;
  /** Where the story goes (stdout). */
  print: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** CAP_NET_ADMIN, CAP_NET_RAW and CAP_SYS_ADMIN (netns), from /proc/self/status. */
function missingCaps(): string[] {
  let eff = 0n;
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    eff = m ? BigInt(`0x${m[1]}`) : 0n;
  } catch {
    return ['(cannot read /proc/self/status)'];
  }
  const caps: [string, bigint][] = [
    ['CAP_NET_ADMIN', 12n],
    ['CAP_NET_RAW', 13n],
    ['CAP_SYS_ADMIN', 21n],
  ];
  return caps.filter(([, bit]) => ((eff >> bit) & 1n) === 0n).map(([n]) => n);
}

/** Why the real lab cannot be built here, or undefined when it can. */
export function whySimulated(opts: Pick<DemoOptions, 'simulate' | 'env'>): string | undefined {
  const env = opts.env ?? process.env;
  if (env.OFDP_DEMO_FORCE_DUMMY && env.OFDP_DEMO_FORCE_DUMMY !== '0') return 'OFDP_DEMO_FORCE_DUMMY is set';
  if (opts.simulate) return '--simulate was given';
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  const missing = missingCaps();
  if (missing.length)
    return `${process.getuid?.() === 0 ? 'running as root but' : 'not running as root:'} missing ${missing.join(', ')} (run it with sudo for the real lab)`;
  if (!onPath('ip'))
    return 'the ip command (iproute2) is not installed: sudo bash scripts/install-test-deps.sh';
  if (!onPath('ping'))
    return 'ping (iputils-ping) is not installed: sudo bash scripts/install-test-deps.sh (or apt-get install iputils-ping)';
  return undefined;
}

interface Pair {
  from: number;
  to: number;
}

/** h1→h2, h2→h3, …, and back to h1 (for two hosts: both directions). */
function pingPairs(n: number): Pair[] {
  return Array.from({ length: n }, (_, i) => ({ from: i, to: (i + 1) % n }));
}

/** Runs the demo; resolves to the exit code (0 when every ping got every reply). */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const out = opts.print;
  const env = opts.env ?? process.env;
  const names = demoNames();
  let reason = whySimulated(opts);
  const rootRundir = opts.rundir ?? env.OFDP_RUNDIR ?? '/run/ofdp';
  const cleanups: (() => Promise<void> | void)[] = [];
  let lab: NetnsLab | undefined;
  const exitHook = () => lab?.remove();
  process.on('exit', exitHook);

  let interrupted: string | undefined;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (wake = r));
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted = sig;
    abort.abort();
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    if (!reason) {
      for (const r of removeStale(rootRundir)) out(`removed a stale demo's ${r}`);
      lab = new NetnsLab(names);
      try {
        lab.create(opts.hosts);
      } catch (e) {
        lab = undefined;
        reason = (e as Error).message;
      }
    }
    let simulated = reason !== undefined;

    // ---- the switch ----
    const registry = defaultRegistry();
    const dummies = new DummyProvider();
    registry.register('dummy', dummies);
    const config = (): RunConfig => ({
      bridge: names.bridge,
      // secure: with no controller the bridge forwards nothing, so every working ping is the
      // controller's doing.
      failMode: 'secure',
      ports: Array.from({ length: opts.hosts }, (_, i) => ({
        type: simulated ? 'dummy' : 'system',
        name: names.port(i + 1),
        ofport: i + 1,
      })),
      controllers: opts.controllers,
      listen: opts.listen,
      queues: new Map(),
      rundir: simulated
        ? (opts.rundir ?? env.OFDP_RUNDIR ?? join(tmpdir(), `ofdp-${process.getuid?.() ?? 'user'}`))
        : rootRundir,
      logLevel: 'warn',
      local: !simulated,
    });
    if (simulated) removeStaleSockets(config().rundir);
    let sw: RunningSwitch;
    try {
      sw = await startSwitch(config(), registry);
    } catch (e) {
      if (simulated) throw e;
      // The namespaces exist but the switch cannot open them (no AF_PACKET here?): the simulated
      // lab still shows the story.
      lab?.remove();
      lab = undefined;
      simulated = true;
      reason = `cannot open the lab's ports: ${(e as Error).message}`;
      sw = await startSwitch(config(), registry);
    }
    cleanups.push(() => sw.stop());
    const bridge = sw.bridge;
    if (!simulated && bridge.ports.has(OFPP.LOCAL))
      try {
        execFileSync('sysctl', ['-qw', `net.ipv6.conf.${names.bridge}.disable_ipv6=1`], { stdio: 'ignore' });
      } catch {
        // IPv6 chatter from LOCAL would only add flood lines to the story.
      }
    const portNames = new Map<number, string>(
      [...bridge.ports.values()].map((p) => [p.portNo, p.netdev.name]),
    );

    // ---- the hosts ----
    const sims: SimHost[] = [];
    if (simulated)
      for (let i = 1; i <= opts.hosts; i++) {
        const dev = dummies.devices.get(names.port(i));
        if (!dev) throw new Error(`dummy port ${names.port(i)} is missing`);
        const mac = parseMac(`02:0d:00:00:00:${i.toString(16).padStart(2, '0')}`)!;
        sims.push(new SimHost(`h${i}`, mac, parseIp(`10.0.0.${i}`)!, dev));
      }
    cleanups.push(() => sims.forEach((s) => s.detach()));

    // ---- the controller ----
    const events: ControllerEvent[] = [];
    let live = false;
    const onEvent = (e: ControllerEvent) => {
      events.push(e);
      if (live) {
        const line = formatEvent(e, portNames);
        if (line) out(`${new Date().toISOString().slice(11, 23)} ${line}`);
      }
    };
    let ctl: LearningController | undefined;
    let link: LocalLink | undefined;
    if (opts.controllers.length === 0) {
      const c = new LearningController((bytes) => link?.write(bytes), { onEvent });
      ctl = c;
      link = linkLocal(bridge, (bytes) => c.receive(bytes));
      const l = link;
      cleanups.push(() => l.close());
      c.start();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        c.features(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('the embedded controller got no FEATURES_REPLY')), 5000);
        }),
      ]).finally(() => clearTimeout(timer));
    } else {
      out(`waiting for a controller (${opts.controllers.join(', ')}) to connect...`);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no controller connected (${opts.controllers.join(', ')})`));
        }, 15000);
        // The bridge's own 'up' handler (attach.ts) was registered first, so it has run.
        const check = () => {
          if (bridge.controllersConnected === 0 && !interrupted) return;
          done();
          resolve();
        };
        const done = () => {
          clearTimeout(timer);
          sw.connections.off('up', check);
        };
        sw.connections.on('up', check);
        void stopped.then(check);
        check();
      });
    }

    // ---- the story ----
    const mgmt = sw.mgmtPath;
    out('');
    out(
      simulated
        ? `ofdp demo (SIMULATED): ${reason}.`
        : 'ofdp demo: a real lab of network namespaces joined by veth pairs to an ofdp bridge.',
    );
    if (simulated)
      out(
        '  The hosts below are small in-process objects on dummy ports that answer ARP and ICMP echo;\n' +
          '  the switch, the OpenFlow messages and the controller are the real ones.',
      );
    out('');
    out(`bridge ${names.bridge}  dpid ${bridge.datapathId.toString(16).padStart(16, '0')}  fail-mode secure`);
    if (bridge.ports.has(OFPP.LOCAL)) out(`  port LOCAL  ${names.bridge} (internal, not addressed)`);
    for (let i = 0; i < opts.hosts; i++) {
      const h = lab?.hosts[i];
      const s = sims[i];
      if (h)
        out(
          `  port ${i + 1}      ${h.port} (system, veth) <-> ${h.name}: ${h.ifname} in netns ${h.netns}, ${h.mac}, ${h.ip}/24`,
        );
      else if (s)
        out(
          `  port ${i + 1}      ${names.port(i + 1)} (dummy) <-> ${s.name}: simulated host, ${macToString(s.mac)}, ${s.ipText}/24`,
        );
    }
    out(
      ctl
        ? `controller: embedded MAC-learning controller (like ovs-testcontroller), OpenFlow 1.0 in-process, miss_send_len 128`
        : `controller: ${opts.controllers.join(', ')}`,
    );
    out(`management: ${mgmt}${sw.listening.length > 1 ? `, ${sw.listening.slice(1).join(', ')}` : ''}`);
    out('');

    if (interrupted) return 128 + (interrupted === 'SIGINT' ? 2 : 15);
    out(
      simulated
        ? `Pings (simulated hosts, ${opts.count} echo requests each):`
        : `Pings (ip netns exec <host> ping -c ${opts.count} <address>):`,
    );
    const results: PingResult[] = [];
    for (const p of pingPairs(opts.hosts)) {
      if (interrupted) break;
      const r = simulated
        ? await sims[p.from]!.ping(sims[p.to]!, { count: opts.count, intervalMs: 50, timeoutMs: 1000 })
        : await lab!.ping(lab!.hosts[p.from]!, lab!.hosts[p.to]!, opts.count, abort.signal);
      if (interrupted) break;
      results.push(r);
      out(formatPing(r, `h${p.to + 1}`));
    }
    if (interrupted) return 128 + (interrupted === 'SIGINT' ? 2 : 15);
    if (link) await link.settled();

    if (ctl) {
      out('');
      out('What the controller did (in order):');
      const lines = events.map((e) => formatEvent(e, portNames)).filter((l): l is string => !!l);
      const MAX = 40;
      for (const l of lines.slice(0, MAX)) out(`  ${l}`);
      if (lines.length > MAX) out(`  ... and ${lines.length - MAX} more`);
      const c = ctl.counters;
      out(
        `  totals: ${c.packetIns} packet-ins, ${c.floods} floods, ${c.flowMods} flow-mods, ${c.packetOuts} packet-outs`,
      );
    }
    out('');
    out(`Flows in the switch (ovs-ofctl -O OpenFlow10 dump-flows unix:${mgmt}):`);
    const flows = bridge.dp.flowStats(matchAll(), OFPP.NONE);
    for (const l of formatFlows(flows)) out(l);
    if (flows.length === 0) out('  (none)');
    out('');
    out('Port counters:');
    for (const l of formatPortStats(bridge.dp.portStats(), portNames)) out(l);
    out('');

    const ok = results.length > 0 && results.every((r) => r.sent > 0 && r.received === r.sent);
    out(
      !ok
        ? 'Result: some pings went unanswered (see above).'
        : ctl
          ? `Result: every ping was answered${simulated ? ' (simulated hosts)' : ''}: ARP requests were flooded, the controller learnt where each host is and installed exact-match flows, and the rest went through those flows.`
          : `Result: every ping was answered${simulated ? ' (simulated hosts)' : ''}, through the flows of ${opts.controllers.join(', ')}.`,
    );
    if (opts.once || !ok) return ok ? 0 : 1;

    out('');
    out('The lab stays up until Ctrl-C (then everything above is removed). Meanwhile, try:');
    out(`  ovs-ofctl -O OpenFlow10 show unix:${mgmt}`);
    out(`  ovs-ofctl -O OpenFlow10 dump-flows unix:${mgmt}`);
    if (lab) {
      const [a, b] = lab.hosts;
      out(`  sudo ip netns exec ${a!.netns} ping ${b!.ip}`);
    }
    out('New controller decisions are printed as they happen.');
    live = true;
    await stopped;
    return 0;
  } finally {
    if (interrupted) out(`${interrupted}: stopping`);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // Last registered, first undone: the controller link, the hosts, then the switch.
    for (const c of cleanups.reverse())
      try {
        await c();
      } catch {
        // Keep removing the rest.
      }
    lab?.remove();
    process.off('exit', exitHook);
    if (lab) out(`removed the lab (${opts.hosts} namespaces, their veths and ${names.bridge}).`);
  }
}
