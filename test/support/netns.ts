/*
 * Namespaces, veth pairs and unique names for tests and benchmarks that use real devices.
 *
 * Moved here from test/netdev/helpers.ts (which re-exports it) so the OVS harness and the
 * switch tests share one implementation. Names are unique per process (prefix + pid + counter,
 * at most 15 bytes, the kernel's IFNAMSIZ-1), so test files running in parallel never collide.
 *
 * `Topology` records everything it creates and `cleanup()` removes it (idempotent; call it from
 * afterAll/finally). Deleting a namespace deletes the devices inside it, and deleting one end of
 * a veth deletes the other, so cleanup is: links still in this namespace, then namespaces.
 *
 * Everything here is synchronous (setup code); nothing imports vitest, so benchmarks can use it.
 */
import { execFileSync } from 'node:child_process';

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

export function linkExists(name: string): boolean {
  return trySh(`ip link show dev ${name} 2>/dev/null`) !== undefined;
}

/** A host: a namespace holding one end of a veth (`ifname`, addressed) whose other end is `port`. */
export interface Host {
  readonly ns: Netns;
  /** The switch side, in this process's namespace (hand it to a switch as a system port). */
  readonly port: string;
  /** The host side, inside `ns`. */
  readonly ifname: string;
  /** The address without prefix length, e.g. 10.0.0.1. */
  readonly ip: string;
  /** The host side's MAC, lower-case colon form. */
  readonly mac: string;
  exec(cmd: string): string;
}

/** Namespaces and veths created for one test file or benchmark, removed together by cleanup(). */
export class Topology {
  private readonly links: string[] = [];
  private readonly spaces: Netns[] = [];

  namespace(): Netns {
    const ns = new Netns();
    this.spaces.push(ns);
    return ns;
  }

  /** A veth pair, up, IPv6 off; `b` inside `ns` when given. */
  veth(ns?: Netns): { a: string; b: string } {
    const pair = vethPair(ns);
    this.links.push(pair.a);
    return pair;
  }

  /** A namespace with a veth whose inside end has `cidr` (e.g. '10.0.0.1/24'). */
  host(cidr: string): Host {
    const ns = this.namespace();
    const { a, b } = this.veth(ns);
    ns.exec(`ip addr add ${cidr} dev ${b}`);
    const mac = ns.exec(`cat /sys/class/net/${b}/address`).trim();
    return { ns, port: a, ifname: b, ip: cidr.split('/')[0]!, mac, exec: (cmd) => ns.exec(cmd) };
  }

  /** Removes everything created so far; safe to call more than once. */
  cleanup(): void {
    for (const l of this.links.splice(0)) if (linkExists(l)) trySh(`ip link del ${l}`);
    for (const ns of this.spaces.splice(0)) ns.delete();
  }
}
