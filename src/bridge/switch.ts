/*
 * `ofdp run` as a library: opens the configured ports, builds the bridge, starts its connections and
 * listeners (always including punix:<rundir>/<bridge>.mgmt, so `ovs-ofctl show unix:…` works with no
 * flags), and keeps it running until stop().
 *
 * Port devices come from the netdev registry. The LOCAL port is an internal tap named after the
 * bridge; without the privilege to create one the bridge runs without LOCAL (logged), which keeps
 * `ofdp run --port dummy:…` usable as a normal user. Device errors after start-up (an interface
 * deleted under a running bridge) become PORT_STATUS DELETE, never a crash.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConnectionManager } from '../connmgr/index.js';
import { OFPP } from '../openflow/constants.js';
import { defaultRegistry, type NetdevRegistry } from '../netdev/registry.js';
import { Netdev } from '../netdev/netdev.js';
import { moduleLogger } from '../log.js';
import { Datapath } from '../datapath/datapath.js';
import { warmUpFastPath } from '../datapath/warm-up.js';
import { DEFAULT_BUSY_POLL_US, enableBusyPoll } from '../runtime/busy-poll.js';
import { Bridge } from './bridge.js';
import { attachConnections } from './attach.js';
import type { RunConfig } from './run-config.js';
import { ConfigError } from './run-config.js';

const log = moduleLogger('switch');

export interface RunningSwitch {
  bridge: Bridge;
  connections: ConnectionManager;
  /** The .mgmt socket path. */
  mgmtPath: string;
  /** Listener targets as bound (ptcp:0 resolved to the real port). */
  listening: string[];
  stop(): Promise<void>;
}

export async function startSwitch(
  cfg: RunConfig,
  registry: NetdevRegistry = defaultRegistry(),
): Promise<RunningSwitch> {
  // Before any port opens: the first real frames then meet optimised code (see warm-up.ts).
  warmUpFastPath(() => new Datapath());
  if (cfg.ports.some((p) => p.type === 'system')) {
    const { warmUpPortPath } = await import('../netdev/linux/warm-up.js');
    warmUpPortPath();
  }
  const busy = enableBusyPoll(cfg.busyPollUs ?? DEFAULT_BUSY_POLL_US);
  if (typeof busy === 'string') log.info(`no busy polling: ${busy}`);
  const bridge = new Bridge({
    name: cfg.bridge,
    failMode: cfg.failMode,
    queues: cfg.queues,
    swDesc: 'ofdp 0.1.0',
  });
  const opened: Netdev[] = [];
  try {
    let local: Netdev | undefined;
    if (cfg.local !== false) {
      try {
        local = new Netdev(await registry.open(`internal:${cfg.bridge}`));
        opened.push(local);
      } catch (e) {
        log.warn(`no LOCAL port: cannot create internal port ${cfg.bridge}: ${(e as Error).message}`);
      }
    }
    for (const p of cfg.ports) {
      let dev: Netdev;
      try {
        dev = new Netdev(await registry.open(`${p.type}:${p.name}`, { rx: cfg.rxMode ?? 'mmsg' }));
      } catch (e) {
        throw new ConfigError(`cannot open port ${p.type}:${p.name}: ${(e as Error).message}`);
      }
      opened.push(dev);
      try {
        bridge.addPort(dev, p.ofport);
      } catch (e) {
        throw new ConfigError(`cannot add port ${p.type}:${p.name}: ${(e as Error).message}`);
      }
    }
    if (local) bridge.addPort(local, OFPP.LOCAL);
    bridge.datapathId = cfg.dpid ?? dpidFrom(local?.getEtherAddr(), cfg.bridge);
  } catch (e) {
    // bridge.close() closed the devices it held; the rest (opened but never added) close here.
    // Netdev close is idempotent, so closing every opened device again is safe.
    await bridge.close();
    for (const d of opened) await d.close().catch(() => undefined);
    throw e;
  }

  const mgr = new ConnectionManager(cfg.ssl ? { ssl: cfg.ssl } : {});
  attachConnections(bridge, mgr, (e) => log.error(`internal error: ${(e as Error).stack ?? String(e)}`));
  mgr.on('up', (c) => log.info(`${c.name}: connected (${c.role})`));
  mgr.on('down', (c, reason) => log.info(`${c.name}: disconnected (${reason})`));
  mgr.on('dial-failed', (t, e) => log.debug(`${t}: connection failed: ${e.message}`));
  const listening: string[] = [];
  const mgmtPath = join(cfg.rundir, `${cfg.bridge}.mgmt`);
  try {
    mkdirSync(cfg.rundir, { recursive: true });
    const mgmt = `punix:${mgmtPath}`;
    for (const t of [mgmt, ...cfg.listen]) {
      try {
        // No inactivity probe on the .mgmt socket (only there, not on a --listen punix:).
        const l = await mgr.listen(t, t === mgmt ? { probeIntervalMs: 0 } : {});
        listening.push(l.name);
      } catch (e) {
        throw new ConfigError(`cannot listen on ${t}: ${(e as Error).message}`);
      }
    }
    for (const t of cfg.controllers) {
      try {
        mgr.addController(t);
      } catch (e) {
        throw new ConfigError((e as Error).message);
      }
    }
  } catch (e) {
    await mgr.close();
    await bridge.close();
    throw e;
  }
  bridge.startTimers();
  const reattach = watchVanishedPorts(bridge, registry, cfg);
  log.info(
    `bridge ${cfg.bridge} dpid ${bridge.datapathId.toString(16).padStart(16, '0')}: ports ${bridge
      .phyPorts()
      .map((p) => `${p.port_no === OFPP.LOCAL ? 'LOCAL' : p.port_no}(${p.name})`)
      .join(' ')}; listening on ${listening.join(' ')}`,
  );
  let stopped = false;
  return {
    bridge,
    connections: mgr,
    mgmtPath,
    listening,
    async stop() {
      if (stopped) return;
      stopped = true;
      reattach.stop();
      await mgr.close();
      await bridge.close();
    },
  };
}

/** A datapath id from the LOCAL port's MAC (as Open vSwitch does), else from the bridge name. */
export function dpidFrom(mac: number | undefined, name: string): bigint {
  if (mac !== undefined) return BigInt(mac);
  let h = 0x811c9dc5;
  for (const c of Buffer.from(name)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return (0x0200n << 32n) | BigInt(h);
}

/**
 * Reopens ports whose device vanished, once a second, until it is back: a deleted veth recreated
 * under the same name returns with its old port number (PORT_STATUS ADD).
 *
 * The same tick also sweeps for devices that stopped existing without a change notification (a
 * system port's interface moved to another namespace in the state it already had, events lost):
 * device notifications are the fast path, this bounds the worst case to a second.
 */
export function watchVanishedPorts(
  bridge: Bridge,
  registry: NetdevRegistry,
  cfg: Pick<RunConfig, 'ports' | 'rxMode'>,
  intervalMs = 1000,
): { stop(): void } {
  const typeOf = new Map(cfg.ports.map((p) => [p.name, p.type]));
  const timer = setInterval(() => {
    for (const p of [...bridge.ports.values()]) if (!p.netdev.exists()) bridge.portChanged(p.portNo);
    for (const [name, portNo] of bridge.vanished) {
      const type = typeOf.get(name) ?? (portNo === OFPP.LOCAL ? 'internal' : undefined);
      if (!type) continue;
      registry.open(`${type}:${name}`, { rx: cfg.rxMode ?? 'mmsg' }).then(
        (dev) => {
          if (bridge.vanished.get(name) !== portNo) return void dev.close();
          try {
            bridge.addPort(new Netdev(dev), portNo);
          } catch (e) {
            // Still reserved: the next tick tries again.
            log.debug(`port ${portNo} (${name}) is back but cannot be used yet: ${(e as Error).message}`);
            dev.close().catch(() => undefined);
            return;
          }
          log.info(`port ${portNo} (${name}) is back`);
        },
        () => undefined,
      );
    }
  }, intervalMs);
  timer.unref();
  bridge.onPortVanished = (name, portNo) =>
    log.warn(`port ${portNo} (${name}) vanished; waiting for it to return`);
  return { stop: () => clearInterval(timer) };
}
