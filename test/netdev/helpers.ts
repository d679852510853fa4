/*
 * Helpers for netdev tests on real devices: shell commands, unique names, namespaces, and
 * conditions to skip loudly when the machine cannot create devices.
 */
import { existsSync } from 'node:fs';
import { Netns, sh, trySh } from '../support/netns.js';

// The generic device helpers moved to test/support/netns.ts (shared with the OVS harness).
export { Netns, linkExists, quiet, sh, trySh, uniqueName, vethPair } from '../support/netns.js';

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
