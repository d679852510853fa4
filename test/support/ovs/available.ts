/*
 * Whether this machine can run the harness: Linux, root (namespaces, veth, taps), /dev/net/tun,
 * iproute2 and the Open vSwitch binaries. Tests skip loudly with the returned reason.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { VSWITCH_SCHEMA } from './harness.js';

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function ovsUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (network namespaces and taps need CAP_NET_ADMIN)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  for (const t of [
    'ip',
    'ovsdb-tool',
    'ovsdb-server',
    'ovs-vswitchd',
    'ovs-vsctl',
    'ovs-appctl',
    'ovs-ofctl',
  ]) {
    if (!has(t)) return `${t} is not installed`;
  }
  if (!existsSync(VSWITCH_SCHEMA)) return `${VSWITCH_SCHEMA} is missing`;
  return undefined;
}
