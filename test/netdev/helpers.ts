/*
 * Helpers for netdev tests on real devices: shell commands, unique names, namespaces, and
 * conditions to skip loudly when the machine cannot create devices.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function sh(cmd: string): string {
  return execFileSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function trySh(cmd: string): string | undefined {
  try {
    return sh(cmd);
  } catch {
    return undefined;
  }
}

/** Why real-device tests cannot run here, or undefined when they can. */
export function noDevicesReason(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (AF_PACKET and /dev/net/tun need CAP_NET_ADMIN/CAP_NET_RAW)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  if (trySh('command -v ip') === undefined) return 'iproute2 (ip) is not installed';
  return undefined;
}

export function skipReason(): string | undefined {
  const r = noDevicesReason();
  if (r) console.warn(`\n*** SKIPPING real-device netdev tests: ${r} ***\n`);
  return r;
}

let counter = 0;
/** An interface/namespace name unique to this process: prefix + pid + counter (≤ 15 bytes). */
export function uniqueName(prefix: string): string {
  const n = `${prefix}${process.pid}x${counter++}`;
  if (n.length > 15) throw new Error(`name ${n} too long`);
  return n;
}

/** A network namespace deleted by `delete()` (which also removes the devices inside). */
export class Netns {
  readonly name = uniqueName('ns');
  readonly path = `/run/netns/${this.name}`;
  constructor() {
    sh(`ip netns add ${this.name}`);
    sh(`ip -n ${this.name} link set lo up`);
  }
  exec(cmd: string): string {
    return sh(`ip netns exec ${this.name} ${cmd}`);
  }
  delete(): void {
    trySh(`ip netns del ${this.name}`);
  }
}

/** A veth pair `a`/`b`, `b` optionally moved into `ns`; both up, IPv6 off (no stray ND frames). */
export function vethPair(ns?: Netns): { a: string; b: string } {
  const a = uniqueName('va');
  const b = uniqueName('vb');
  sh(`ip link add ${a} type veth peer name ${b}${ns ? ` netns ${ns.name}` : ''}`);
  const inB = ns ? `ip netns exec ${ns.name} ` : '';
  quiet(a);
  sh(`${inB}sysctl -qw net.ipv6.conf.${b}.disable_ipv6=1`);
  sh(`ip link set ${a} up`);
  sh(`${inB}ip link set ${b} up`);
  return { a, b };
}

/** Turns IPv6 off on `ifname` so router/neighbour solicitations do not disturb counters. */
export function quiet(ifname: string): void {
  trySh(`sysctl -qw net.ipv6.conf.${ifname}.disable_ipv6=1`);
}

export interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  operstate: string;
  address: string;
  promiscuity?: number;
  stats64?: {
    rx: { bytes: number; packets: number; errors: number; dropped: number };
    tx: { bytes: number; packets: number; errors: number; dropped: number };
  };
}

export function ipLink(name: string, ns?: Netns): IpLink {
  const out = sh(`${ns ? `ip -n ${ns.name}` : 'ip'} -d -s -j link show dev ${name}`);
  return (JSON.parse(out) as IpLink[])[0]!;
}

export function linkExists(name: string): boolean {
  return trySh(`ip link show dev ${name} 2>/dev/null`) !== undefined;
}

export function macString(mac: number): string {
  return mac
    .toString(16)
    .padStart(12, '0')
    .replace(/(..)(?!$)/g, '$1:');
}

/** A test frame: broadcast, source `src`, EtherType 0x88b5 (local experimental), payload `tag`+pad. */
export function testFrame(src: number, tag: number, len = 64, dst = 0xffffffffffff): Buffer {
  const f = Buffer.alloc(len);
  f.writeUIntBE(dst, 0, 6);
  f.writeUIntBE(src, 6, 6);
  f.writeUInt16BE(0x88b5, 12);
  f.writeUInt32BE(tag >>> 0, 14);
  for (let i = 18; i < len; i++) f[i] = (i * 7 + tag) & 0xff;
  return f;
}

export function isTestFrame(f: Buffer): boolean {
  return f.length >= 18 && f.readUInt16BE(12) === 0x88b5;
}
