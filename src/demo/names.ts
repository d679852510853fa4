/*
 * Names of what `ofdp demo` creates, and the removal of what a crashed demo left behind.
 *
 * Everything starts with "ofdp-demo" and embeds the creating process's pid, so a new demo can tell
 * its own leftovers (pid no longer running) from a demo running now, and concurrent demos never
 * collide:
 * - interfaces (IFNAMSIZ allows 15 bytes): "ofdp-demo" + pid in base 36 (≤ 5) + one role character,
 *   "0" for the bridge (its LOCAL port) and "1".."9" for the switch side of host i's veth;
 * - network namespaces: "ofdp-demo-<pid>-h<i>";
 * - the bridge's management socket: <rundir>/<bridge>.mgmt.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

export const DEMO_PREFIX = 'ofdp-demo';

export interface DemoNames {
  bridge: string;
  /** Switch-side interface of host i (1-based). */
  port(i: number): string;
  /** Network namespace of host i. */
  netns(i: number): string;
}

export function demoNames(pid = process.pid): DemoNames {
  const tag = pid.toString(36);
  return {
    bridge: `${DEMO_PREFIX}${tag}0`,
    port: (i) => `${DEMO_PREFIX}${tag}${i}`,
    netns: (i) => `${DEMO_PREFIX}-${pid}-h${i}`,
  };
}

/** The pid that created a demo interface or namespace, if the name is one of ours. */
export function ownerPid(name: string): number | undefined {
  let m = /^ofdp-demo-(\d+)-h\d+$/.exec(name);
  if (m) return Number(m[1]);
  m = /^ofdp-demo([0-9a-z]{1,5})[0-9](?:\.mgmt)?$/.exec(name);
  if (m) return parseInt(m[1]!, 36);
  return undefined;
}

/** Whether `pid` is a live process (a zombie, killed but not yet reaped, is not). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/PID/stat: "pid (comm) S ...": the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function listNetns(): string[] {
  try {
    return run('ip', ['netns', 'list'])
      .split('\n')
      .map((l) => l.split(' ')[0]!)
      .filter(Boolean);
  } catch {
    return [];
  }
}

export function listLinks(): string[] {
  try {
    return run('ip', ['-o', 'link', 'show'])
      .split('\n')
      .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
      .filter((n): n is string => n !== undefined);
  } catch {
    return [];
  }
}

/**
 * Removes namespaces, interfaces and management sockets of demos that are no longer running.
 * Returns what it removed.
 */
export function removeStale(rundir: string): string[] {
  const removed: string[] = [];
  const stale = (name: string): boolean => {
    const pid = ownerPid(name);
    return pid !== undefined && pid !== process.pid && !isRunning(pid);
  };
  for (const ns of listNetns().filter(stale))
    try {
      run('ip', ['netns', 'del', ns]);
      removed.push(`netns ${ns}`);
    } catch {
      // Gone meanwhile, or not ours to delete.
    }
  for (const link of listLinks().filter(stale))
    try {
      run('ip', ['link', 'del', link]);
      removed.push(`interface ${link}`);
    } catch {
      // Deleting one end of a veth removes its peer; the peer may be listed too.
    }
  removed.push(...removeStaleSockets(rundir));
  return removed;
}

/** Removes the management sockets of demos that are no longer running (needs no privileges). */
export function removeStaleSockets(rundir: string): string[] {
  const removed: string[] = [];
  try {
    for (const f of readdirSync(rundir)) {
      const pid = ownerPid(f);
      if (pid === undefined || pid === process.pid || isRunning(pid)) continue;
      unlinkSync(join(rundir, f));
      removed.push(`socket ${join(rundir, f)}`);
    }
  } catch {
    // No rundir yet.
  }
  return removed;
}
