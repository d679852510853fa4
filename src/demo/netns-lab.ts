/*
 * The real lab of `ofdp demo` (root / CAP_NET_ADMIN): each host is a network namespace holding one
 * end ("eth0") of a veth pair whose other end becomes a system port of the bridge.
 *
 * Hosts get readable MACs (02:0d:00:00:00:0i) and 10.0.0.i/24; the addresses live only inside the
 * namespaces, so the demo never touches the machine's own routes. IPv6 is off in the namespaces and
 * on the switch side, so the only traffic is what the demo sends (ARP and ICMP echo).
 *
 * Creation records every name before it runs the command that creates it, so remove() (idempotent,
 * also usable synchronously from an exit handler) deletes exactly what exists.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { DemoNames } from './names.js';
import type { PingResult } from './sim-host.js';

const execFileP = promisify(execFile);

export interface NetnsHost {
  name: string;
  netns: string;
  /** The switch side of the veth (a system port). */
  port: string;
  ifname: string;
  mac: string;
  ip: string;
}

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function tryRun(cmd: string, args: string[]): void {
  try {
    run(cmd, args);
  } catch {
    // Best effort (cleanup, optional tuning).
  }
}

/** Whether `prog` is an executable on PATH (or in the sbin directories root normally has). */
export function onPath(prog: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  return dirs.some((d) => d && existsSync(join(d, prog)));
}

export class NetnsLab {
  readonly hosts: NetnsHost[] = [];
  private readonly namespaces: string[] = [];
  private readonly links: string[] = [];

  constructor(private readonly names: DemoNames) {}

  /** Creates `count` hosts. Throws (after removing what it made) if any command fails. */
  create(count: number): void {
    try {
      for (let i = 1; i <= count; i++) this.addHost(i);
    } catch (e) {
      this.remove();
      const err = e as Error & { stderr?: Buffer };
      throw new Error(`cannot build the lab: ${err.stderr?.toString().trim() || err.message}`);
    }
  }

  private addHost(i: number): void {
    const ns = this.names.netns(i);
    const port = this.names.port(i);
    const mac = `02:0d:00:00:00:${i.toString(16).padStart(2, '0')}`;
    const ip = `10.0.0.${i}`;
    this.namespaces.push(ns);
    run('ip', ['netns', 'add', ns]);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    tryRun('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1']);
    tryRun('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
    this.links.push(port);
    run('ip', ['link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    tryRun('sysctl', ['-qw', `net.ipv6.conf.${port}.disable_ipv6=1`]);
    run('ip', ['-n', ns, 'link', 'set', 'eth0', 'address', mac]);
    run('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    run('ip', ['link', 'set', port, 'up']);
    this.hosts.push({ name: `h${i}`, netns: ns, port, ifname: 'eth0', mac, ip });
  }

  /**
   * Runs `ping -c count` from one host to another (asynchronously: the switch runs meanwhile);
   * `signal` stops it early.
   */
  async ping(from: NetnsHost, to: NetnsHost, count = 3, signal?: AbortSignal): Promise<PingResult> {
    const result: PingResult = { from: from.name, to: to.ip, sent: 0, received: 0, rttsMs: [] };
    let out: string;
    try {
      const r = await execFileP(
        'ip',
        ['netns', 'exec', from.netns, 'ping', '-n', '-c', String(count), '-i', '0.2', '-W', '2', to.ip],
        // ping's output is parsed: keep it in English.
        { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, ...(signal ? { signal } : {}) },
      );
      out = r.stdout;
    } catch (e) {
      // ping exits 1 when replies are missing: its output still says how many.
      const err = e as { stdout?: string; stderr?: string; message: string };
      out = err.stdout ?? '';
      if (!/transmitted/.test(out)) result.error = (err.stderr || err.message).trim();
    }
    for (const m of out.matchAll(/time=([\d.]+) ms/g)) result.rttsMs.push(Number(m[1]));
    const sum = /(\d+) packets transmitted, (\d+) received/.exec(out);
    if (sum) {
      result.sent = Number(sum[1]);
      result.received = Number(sum[2]);
    }
    return result;
  }

  /** Deletes the namespaces (and with them the veths) and any switch-side veth left. Idempotent. */
  remove(): void {
    for (const ns of this.namespaces.splice(0)) tryRun('ip', ['netns', 'del', ns]);
    for (const l of this.links.splice(0))
      if (existsSync(`/sys/class/net/${l}`)) tryRun('ip', ['link', 'del', l]);
  }
}
