/*
 * Owning the OVS daemons' resources: the private directory, the guardian, and stale cleanup.
 *
 * What a harness creates outside its own process: a directory under os.tmpdir(), a network
 * namespace (named like the directory), and two daemons. The normal path releases all of them in
 * `stop()`. The hard cases are a test process that dies without running afterAll (vitest killing a
 * timed-out worker, Ctrl-C, an uncaught exception) and one killed together with everything it
 * started. Three layers cover them:
 *
 *  1. The daemons are plain children (no --detach, no --monitor), so stop() can signal them and
 *     learn when they are gone; their pids are written to `DIR/<daemon>.pid` the moment they are
 *     spawned, before they can do anything.
 *  2. A guardian: a tiny `sh` in its own session whose stdin is a pipe from this process. It
 *     ignores INT/TERM/HUP and blocks reading stdin; the kernel closes the pipe when this process
 *     dies for any reason, even SIGKILL. On EOF, if the directory still exists (stop() did not
 *     finish), it runs `ovs-appctl exit --cleanup`, SIGKILLs the recorded pids that still run from
 *     this directory and every process left inside the private namespace, then deletes the
 *     namespace (and with it every tap and port inside) and the directory. A normal stop()
 *     removes the directory first, so the guardian just exits.
 *     (PR_SET_PDEATHSIG alone would not do: vswitchd killed by a signal leaves its netdev taps
 *     behind, because OVS makes them persistent; they only go with the namespace.)
 *  3. If the guardian died too (the whole process group SIGKILLed, OOM), the next harness start in
 *     any process sweeps `ofdp-ovs-*` directories whose owner (pid + start time, so a reused pid
 *     does not look alive) and guardian are both gone, doing the guardian's work.
 *
 * A recorded pid is only signalled after checking that its /proc cmdline names the private
 * directory, so a recycled pid is never hit; other processes are signalled only when `ip netns
 * pids` finds them inside the private namespace, where nothing else lives.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export const DIR_PREFIX = 'ofdp-ovs-';

interface Owner {
  pid: number;
  start: string;
  netns: string;
}

/** Field 22 of /proc/PID/stat (start time in clock ticks), or undefined if gone or a zombie. */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
  return rest[19];
}

/** True if `pid` is a live (non-zombie) process whose command line mentions `dir`. */
export function runsFrom(pid: number, dir: string): boolean {
  if (processStartTime(pid) === undefined) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
  } catch {
    return false;
  }
}

/** TCP ports in LISTEN state in the network namespace of `pid` (from /proc/PID/net/tcp). */
export function listeningTcpPorts(pid: number): Set<number> {
  const ports = new Set<number>();
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/net/tcp`, 'utf8');
  } catch {
    return ports;
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 3 && f[3] === '0A') ports.add(parseInt(f[1]!.split(':')[1]!, 16));
  }
  return ports;
}

/** The inode of the network namespace `pid` lives in (to prove two processes are separated). */
export function netnsOf(pid: number): string {
  return readlinkSync(`/proc/${pid}/ns/net`);
}

let counter = 0;

/** Creates the private directory and records this process as its owner. */
export function makePrivateDir(): { dir: string; netns: string } {
  const dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${process.pid}-${counter++}-`));
  const netns = basename(dir);
  const owner: Owner = { pid: process.pid, start: processStartTime(process.pid) ?? '', netns };
  writeFileSync(join(dir, 'owner'), JSON.stringify(owner));
  return { dir, netns };
}

const GUARDIAN = `
trap '' INT TERM HUP
cat >/dev/null 2>&1
[ -d "$1" ] || exit 0
ovs-appctl -t "$1/ovs-vswitchd.ctl" --timeout=3 exit --cleanup >/dev/null 2>&1
for f in "$1"/*.pid; do
  [ -f "$f" ] || continue
  p=$(cat "$f")
  grep -qF -- "$1" "/proc/$p/cmdline" 2>/dev/null && kill -9 "$p"
done
for p in $(ip netns pids "$2" 2>/dev/null); do kill -9 "$p"; done
ip netns del "$2" >/dev/null 2>&1
rm -rf "$1"
`;

/** Starts the guardian for `dir`; end it by calling `.stdin.end()` after removing `dir`. */
export function startGuardian(dir: string, netns: string): ChildProcess {
  const g = spawn('sh', ['-c', GUARDIAN, 'ofdp-ovs-guardian', dir, netns], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  writeFileSync(join(dir, 'guardian'), String(g.pid));
  g.on('error', () => {});
  g.stdin!.on('error', () => {});
  // Neither the guardian nor its pipe may keep this process alive: its whole point is to outlive us.
  g.unref();
  (g.stdin as unknown as { unref?: () => void }).unref?.();
  return g;
}

/** Processes inside the named namespace (all of them ours: the namespace is private). */
export function netnsPids(netns: string): number[] {
  try {
    const out = execFileSync('ip', ['netns', 'pids', netns], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function kill9(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // exited meanwhile
  }
}

function removeResources(dir: string, netns: string): void {
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.pid')) continue;
    const pid = Number(readFileSync(join(dir, f), 'utf8'));
    if (pid > 0 && runsFrom(pid, dir)) kill9(pid);
  }
  for (const pid of netnsPids(netns)) kill9(pid);
  try {
    execFileSync('ip', ['netns', 'del', netns], { stdio: 'ignore' });
  } catch {
    // already gone
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Removes the leftovers of harnesses whose owner and guardian are both dead. Returns the
 * directories removed. Directories without an owner record are left alone unless a minute old
 * (another process may be creating one right now).
 */
export function cleanStale(): string[] {
  const removed: string[] = [];
  const base = tmpdir();
  let names: string[];
  try {
    names = readdirSync(base).filter((n) => n.startsWith(DIR_PREFIX));
  } catch {
    return removed;
  }
  for (const name of names) {
    const dir = join(base, name);
    try {
      let owner: Owner | undefined;
      try {
        owner = JSON.parse(readFileSync(join(dir, 'owner'), 'utf8')) as Owner;
      } catch {
        if (Date.now() - statSync(dir).mtimeMs < 60_000) continue;
      }
      if (owner && processStartTime(owner.pid) === owner.start) continue;
      const gfile = join(dir, 'guardian');
      if (existsSync(gfile) && runsFrom(Number(readFileSync(gfile, 'utf8')), dir)) continue;
      removeResources(dir, owner?.netns ?? name);
      removed.push(dir);
    } catch {
      // raced with another cleaner or the owner's own stop(); nothing to do
    }
  }
  return removed;
}
