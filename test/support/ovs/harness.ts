/*
 * A private Open vSwitch (userspace datapath) to run beside ofdp: startOvs() and its handle.
 *
 * Why a private network namespace: every ovs-vswitchd with a netdev bridge opens a tap named
 * `ovs-netdev` (the datapath's own port; the name is fixed by OVS), so two of them in one
 * namespace collide — the second fails with EBUSY and its bridge never comes up. Each harness
 * therefore runs ovs-vswitchd inside its own namespace, which also gives it a private loopback
 * (so the passive listener can always be ptcp:26653:127.0.0.1, as in clients.md §7, with no
 * free-port race) and makes cleanup total (deleting the namespace deletes every tap in it).
 * ovsdb-server needs no network and runs in ours. Unix sockets are files, so the database,
 * `ovs-appctl`, and the bridge's `unix:DIR/BR.mgmt` target work from any namespace.
 *
 * Consequences for callers:
 *  - `bridge.target` (tcp:127.0.0.1:PORT) is reachable only inside `handle.netns`;
 *    `bridge.ofctl()` / `handle.ofctl()` / `handle.exec()` run there. From this process use
 *    `bridge.mgmtTarget`, or give OVS a `punix:`/`unix:` controller (setControllers).
 *  - `addPort()` moves the interface into the namespace; stop() and delPort() move it back to this
 *    process's namespace (up again and IPv6 off again if it was), so whoever created it (e.g. a
 *    Topology) still owns and deletes it. If the harness's owner dies, it dies with the namespace.
 *
 * Lifecycle and the crash-safety design are in lifecycle.ts. Startup waits on real conditions:
 * the database socket appearing, `ovs-vsctl` (which waits for ovs-vswitchd to apply each change)
 * succeeding, the control socket appearing, and the bridge's listener showing up in
 * /proc/<vswitchd>/net/tcp.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanStale, listeningTcpPorts, makePrivateDir, netnsPids, startGuardian } from './lifecycle.js';
import { ofctl, ofctlSwitch, type OfctlOptions, type OfctlSwitch } from './ofctl.js';
import { mustRun, runTool, waitFor, type ToolOptions, type ToolResult } from './tools.js';

export const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';
/** The first bridge's listener port (clients.md §7); later bridges take the next ones. */
export const FIRST_LISTEN_PORT = 26653;

export interface StartOvsOptions {
  /** ovs-vswitchd's file log level (default 'info'); the log is DIR/ovs-vswitchd.log. */
  logLevel?: 'emer' | 'err' | 'warn' | 'info' | 'dbg';
  /** Limit for each startup wait in milliseconds (default 10000). */
  timeoutMs?: number;
}

export interface BridgeOptions {
  /** Bridge `protocols` (default 'OpenFlow10'). */
  protocols?: string;
  /** Default 'secure', as in clients.md §7 (OVS's own default is standalone). */
  failMode?: 'secure' | 'standalone';
  /** Only the userspace datapath can run in parallel harnesses (default 'netdev'). */
  datapathType?: 'netdev';
  /** Port of the passive listener `ptcp:PORT:127.0.0.1` (default 26653 + bridges so far). */
  listenPort?: number;
  /** Fixed datapath id (`other-config:datapath-id`). */
  dpid?: bigint | number | string;
  /** Fixed MAC of the LOCAL port (`other-config:hwaddr`), e.g. '02:00:00:00:00:01'. */
  hwaddr?: string;
  /** More controller targets besides the listener (e.g. `unix:/path`, `tcp:127.0.0.1:6633`). */
  controllers?: readonly string[];
}

export interface OvsBridge extends OfctlSwitch {
  readonly name: string;
  /** The passive listener as configured: `ptcp:PORT:127.0.0.1`. */
  readonly listen: string;
  readonly listenPort: number;
  /** `tcp:127.0.0.1:PORT`: valid inside the harness namespace (where `ofctl` runs). */
  readonly target: string;
  /** `unix:DIR/NAME.mgmt`: OVS's always-on service socket, usable from any namespace. */
  readonly mgmtTarget: string;
  /** The same commands over `mgmtTarget`. */
  readonly mgmt: OfctlSwitch;
}

export interface OvsHandle {
  /** The private directory (database, sockets, logs). */
  readonly dir: string;
  /** The private network namespace ovs-vswitchd runs in. */
  readonly netns: string;
  readonly pids: { readonly ovsdbServer: number; readonly vswitchd: number };
  /** OVS_* variables pointing at `dir`, for running other OVS tools by hand. */
  readonly env: Readonly<Record<string, string>>;
  readonly bridges: ReadonlyMap<string, OvsBridge>;
  /** Milliseconds spent in startOvs() and in stop() (once stopped). */
  readonly timings: { start: number; stop?: number };

  addBridge(name: string, opts?: BridgeOptions): Promise<OvsBridge>;
  /** Moves `ifname` into the namespace, brings it up and adds it; resolves with its OpenFlow port. */
  addPort(bridge: string | OvsBridge, ifname: string, ofport?: number): Promise<number>;
  /** Removes the port and moves the interface back to this process's namespace. */
  delPort(bridge: string | OvsBridge, ifname: string): Promise<void>;
  /** Replaces the bridge's controllers with its listener plus `targets`. */
  setControllers(bridge: string | OvsBridge, targets: readonly string[]): Promise<void>;
  /** `ovs-vsctl --db=… --timeout=5 ARGS…`; rejects on failure. */
  vsctl(...args: string[]): Promise<string>;
  /** `ovs-appctl -t DIR/ovs-vswitchd.ctl ARGS…`; rejects on failure. */
  appctl(...args: string[]): Promise<string>;
  /** `ovs-ofctl -O OpenFlow10 -t N ARGS…` inside the namespace (ARGS hold command and target). */
  ofctl(args: readonly string[], opts?: OfctlOptions): Promise<ToolResult>;
  /** Any command inside the namespace with the OVS environment. */
  exec(cmd: string, args: readonly string[], opts?: ToolOptions): Promise<ToolResult>;
  /**
   * Starts a long-running command inside the namespace (e.g. `ovs-testcontroller ptcp:6633`).
   * The caller may kill it; stop() kills whatever is still running there.
   */
  spawn(cmd: string, args: readonly string[], opts?: { stdio?: StdioOptions }): ChildProcess;
  /** Stops everything and removes what was created. Idempotent; never rejects. */
  stop(): Promise<void>;
}

function dpidHex(d: bigint | number | string): string {
  const v = typeof d === 'string' ? BigInt(`0x${d.replace(/^0x/i, '').replace(/:/g, '')}`) : BigInt(d);
  return v.toString(16).padStart(16, '0');
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** What a borrowed interface looked like, so it goes back as it came (a move resets both). */
interface Borrowed {
  up: boolean;
  ipv6Disabled: boolean;
}

function borrowState(ifname: string): Borrowed {
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8').trim();
    } catch {
      return '';
    }
  };
  return {
    up: (parseInt(read(`/sys/class/net/${ifname}/flags`), 16) & 1) === 1,
    ipv6Disabled: read(`/proc/sys/net/ipv6/conf/${ifname}/disable_ipv6`) === '1',
  };
}

/** Moves `ifname` back to this process's namespace; best effort (it may have been deleted). */
async function giveBack(netns: string, ifname: string, b: Borrowed): Promise<void> {
  const r = await runTool('ip', ['-n', netns, 'link', 'set', 'dev', ifname, 'netns', String(process.pid)]);
  if (r.code !== 0) return;
  if (b.ipv6Disabled) await runTool('sysctl', ['-qw', `net.ipv6.conf.${ifname}.disable_ipv6=1`]);
  if (b.up) await runTool('ip', ['link', 'set', 'dev', ifname, 'up']);
}

let swept = false;

/** Starts ovsdb-server and ovs-vswitchd in a private directory and namespace. */
export async function startOvs(opts: StartOvsOptions = {}): Promise<OvsHandle> {
  const t0 = performance.now();
  if (!swept) {
    swept = true;
    cleanStale();
  }
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const { dir, netns } = makePrivateDir();
  const guardian = startGuardian(dir, netns);
  const env: Record<string, string> = {
    OVS_RUNDIR: dir,
    OVS_LOGDIR: dir,
    OVS_DBDIR: dir,
    OVS_SYSCONFDIR: dir,
    OVS_PKGDATADIR: dir,
  };
  const db = join(dir, 'conf.db');
  const dbSock = join(dir, 'db.sock');
  const ctl = join(dir, 'ovs-vswitchd.ctl');
  const children = new Map<string, ChildProcess>();
  const exited = new Map<string, Promise<unknown>>();
  const bridges = new Map<string, OvsBridge>();
  const moved = new Map<string, Borrowed>(); // ifname → how to hand it back
  const helpers = new Set<ChildProcess>();
  const timings: { start: number; stop?: number } = { start: 0 };
  let stopping: Promise<void> | undefined;

  const daemon = (name: string, file: string, args: string[], inNetns: boolean): ChildProcess => {
    const out = openSync(join(dir, `${name}.out`), 'a');
    const child = spawn(inNetns ? 'ip' : file, inNetns ? ['netns', 'exec', netns, file, ...args] : args, {
      stdio: ['ignore', out, out],
      env: { ...process.env, ...env },
    });
    closeSync(out);
    child.on('error', () => {});
    exited.set(
      name,
      once(child, 'exit').catch(() => undefined),
    );
    if (child.pid === undefined) throw new Error(`could not spawn ${file}`);
    writeFileSync(join(dir, `${name}.pid`), String(child.pid));
    child.unref(); // a forgotten stop() must not keep the test process alive; the guardian cleans up
    children.set(name, child);
    return child;
  };
  const alive = (name: string): boolean => {
    const c = children.get(name);
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  };
  const mustBeAlive = (name: string): void => {
    if (!alive(name))
      throw new Error(`${name} exited: ${tail(join(dir, `${name}.out`))}\n${tail(join(dir, `${name}.log`))}`);
  };

  const vsctl = (...args: string[]): Promise<string> =>
    mustRun('ovs-vsctl', [`--db=unix:${dbSock}`, '--timeout=5', ...args], { env, timeoutMs: 15_000 });
  const appctl = (...args: string[]): Promise<string> =>
    mustRun('ovs-appctl', ['-t', ctl, '--timeout=5', ...args], { env, timeoutMs: 15_000 });
  const exec = (cmd: string, args: readonly string[], o: ToolOptions = {}): Promise<ToolResult> =>
    runTool(cmd, args, { ...o, netns, env: { ...env, ...o.env } });
  const nameOf = (b: string | OvsBridge): string => (typeof b === 'string' ? b : b.name);
  const vswitchdPid = (): number => children.get('ovs-vswitchd')?.pid ?? 0;

  const stopDaemon = async (name: string, graceful: () => Promise<unknown>): Promise<void> => {
    const child = children.get(name);
    if (!child || !alive(name)) return;
    child.ref(); // keep this process alive until the exit is seen
    try {
      await graceful();
    } catch {
      // fall through to the signals below
    }
    const gone = exited.get(name)!;
    const timer = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
    if (alive(name)) await Promise.race([gone, timer(3000)]);
    if (alive(name)) child.kill('SIGKILL');
    await gone;
  };

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const s = performance.now();
      // exit --cleanup deletes the datapaths and their taps (bridge LOCAL ports, ovs-netdev).
      await stopDaemon('ovs-vswitchd', () => appctl('exit', '--cleanup'));
      await stopDaemon('ovsdb-server', async () => children.get('ovsdb-server')!.kill('SIGTERM'));
      // Helpers started with spawn(): TERM, a moment to go, then anything left in the namespace dies.
      await Promise.all(
        [...helpers].map(async (c) => {
          if (c.exitCode !== null || c.signalCode !== null) return;
          const gone = once(c, 'exit').catch(() => undefined);
          c.kill('SIGTERM');
          await Promise.race([gone, new Promise((r) => setTimeout(r, 2000).unref())]);
        }),
      );
      for (const pid of netnsPids(netns)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }
      for (const [ifname, b] of moved) await giveBack(netns, ifname, b);
      moved.clear();
      await runTool('ip', ['netns', 'del', netns]);
      rmSync(dir, { recursive: true, force: true });
      guardian.stdin!.end(); // the directory is gone, so the guardian exits without doing anything
      if (guardian.exitCode === null && guardian.signalCode === null) {
        guardian.ref();
        await once(guardian, 'exit');
      }
      timings.stop = performance.now() - s;
    })().catch((e: unknown) => {
      console.error(`ovs harness stop(${dir}):`, e);
    });
    return stopping;
  };

  const addBridge = async (name: string, o: BridgeOptions = {}): Promise<OvsBridge> => {
    const listenPort = o.listenPort ?? FIRST_LISTEN_PORT + bridges.size;
    const listen = `ptcp:${listenPort}:127.0.0.1`;
    const set = [
      `datapath_type=${o.datapathType ?? 'netdev'}`,
      `protocols=${o.protocols ?? 'OpenFlow10'}`,
      `fail_mode=${o.failMode ?? 'secure'}`,
    ];
    if (o.dpid !== undefined) set.push(`other-config:datapath-id=${dpidHex(o.dpid)}`);
    if (o.hwaddr !== undefined) set.push(`other-config:hwaddr="${o.hwaddr}"`);
    try {
      await vsctl(
        'add-br',
        name,
        '--',
        'set',
        'bridge',
        name,
        ...set,
        '--',
        'set-controller',
        name,
        listen,
        ...(o.controllers ?? []),
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${tail(join(dir, 'ovs-vswitchd.log'))}`);
    }
    const mgmtPath = join(dir, `${name}.mgmt`);
    await waitFor(
      `${listen} and ${mgmtPath}`,
      () => {
        mustBeAlive('ovs-vswitchd');
        return listeningTcpPorts(vswitchdPid()).has(listenPort) && existsSync(mgmtPath);
      },
      timeoutMs,
    );
    const target = `tcp:127.0.0.1:${listenPort}`;
    const mgmtTarget = `unix:${mgmtPath}`;
    const over = ofctlSwitch(target, { netns, env });
    const bridge: OvsBridge = {
      name,
      listen,
      listenPort,
      target,
      mgmtTarget,
      ofctl: over.ofctl,
      mgmt: ofctlSwitch(mgmtTarget, { env }),
    };
    bridges.set(name, bridge);
    return bridge;
  };

  const addPort = async (b: string | OvsBridge, ifname: string, ofport?: number): Promise<number> => {
    const borrowed = borrowState(ifname);
    await mustRun('ip', ['link', 'set', 'dev', ifname, 'netns', netns]);
    moved.set(ifname, borrowed);
    await mustRun('ip', ['-n', netns, 'link', 'set', 'dev', ifname, 'up']);
    const extra = ofport === undefined ? [] : ['--', 'set', 'Interface', ifname, `ofport_request=${ofport}`];
    await vsctl('add-port', nameOf(b), ifname, ...extra);
    const got = Number((await vsctl('get', 'Interface', ifname, 'ofport')).trim());
    if (!(got > 0) || (ofport !== undefined && got !== ofport)) {
      const error = await vsctl('get', 'Interface', ifname, 'error');
      throw new Error(`port ${ifname} on ${nameOf(b)}: ofport ${got}, error ${error.trim()}`);
    }
    return got;
  };

  const delPort = async (b: string | OvsBridge, ifname: string): Promise<void> => {
    await vsctl('del-port', nameOf(b), ifname);
    const borrowed = moved.get(ifname);
    moved.delete(ifname);
    if (borrowed) await giveBack(netns, ifname, borrowed);
  };

  const setControllers = async (b: string | OvsBridge, targets: readonly string[]): Promise<void> => {
    const br = bridges.get(nameOf(b));
    if (!br) throw new Error(`no bridge ${nameOf(b)}`);
    await vsctl('set-controller', br.name, br.listen, ...targets);
  };

  try {
    await mustRun('ip', ['netns', 'add', netns]);
    await mustRun('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    // IPv6 off for every device that enters the namespace: no router/neighbour solicitations
    // appear as packet-ins or in port counters.
    await mustRun(
      'sysctl',
      ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'],
      {
        netns,
      },
    );
    await mustRun('ovsdb-tool', ['create', db, VSWITCH_SCHEMA], { env });
    daemon(
      'ovsdb-server',
      'ovsdb-server',
      [
        db,
        `--remote=punix:${dbSock}`,
        `--unixctl=${join(dir, 'ovsdb-server.ctl')}`,
        '--no-chdir',
        '-vconsole:off',
        `--log-file=${join(dir, 'ovsdb-server.log')}`,
      ],
      false,
    );
    await waitFor('ovsdb-server socket', () => (mustBeAlive('ovsdb-server'), existsSync(dbSock)), timeoutMs);
    daemon(
      'ovs-vswitchd',
      'ovs-vswitchd',
      [
        `unix:${dbSock}`,
        `--unixctl=${ctl}`,
        '--no-chdir',
        '--disable-system',
        '-vconsole:off',
        `-vfile:${opts.logLevel ?? 'info'}`,
        `--log-file=${join(dir, 'ovs-vswitchd.log')}`,
      ],
      true,
    );
    // Without --no-wait, `init` returns only once ovs-vswitchd has read and applied the database.
    await vsctl('init');
    await waitFor(
      'ovs-vswitchd control socket',
      () => (mustBeAlive('ovs-vswitchd'), existsSync(ctl)),
      timeoutMs,
    );
  } catch (e) {
    const log = tail(join(dir, 'ovs-vswitchd.log'));
    await stop();
    throw new Error(`startOvs failed: ${(e as Error).message}\n${log}`);
  }
  timings.start = performance.now() - t0;

  return {
    dir,
    netns,
    pids: { ovsdbServer: children.get('ovsdb-server')!.pid!, vswitchd: vswitchdPid() },
    env,
    bridges,
    timings,
    addBridge,
    addPort,
    delPort,
    setControllers,
    vsctl,
    appctl,
    ofctl: (args, o = {}) => ofctl(args, { ...o, netns, env }),
    exec,
    spawn: (cmd, args, o = {}) => {
      const c = spawn('ip', ['netns', 'exec', netns, cmd, ...args], {
        stdio: o.stdio ?? 'ignore',
        env: { ...process.env, ...env },
      });
      helpers.add(c);
      c.on('exit', () => helpers.delete(c));
      return c;
    },
    stop,
  };
}
