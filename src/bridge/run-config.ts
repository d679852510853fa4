/*
 * The configuration of `ofdp run`: from command-line flags and/or a JSON config file, checked in
 * one place so that every mistake gets one clear line naming the problem.
 *
 * Config file (JSON), every key optional, flags override; keys starting with "//" are comments, any
 * other unknown key is an error:
 *   { "bridge": "br0", "dpid": "0000000000000001", "failMode": "secure",
 *     "ports": ["tap:tap0", "system:veth0=5"], "controllers": ["tcp:127.0.0.1:6653"],
 *     "listen": ["ptcp:6653"], "queues": { "1": [{ "id": 1, "minRate": 500 }] },
 *     "rundir": "/run/ofdp", "logLevel": "info", "rxMode": "mmsg", "busyPollUs": 50,
 *     "privateKey": "key.pem", "certificate": "cert.pem", "caCert": "ca.pem" }
 */
import { readFileSync } from 'node:fs';
import type { SslOptions } from '../connmgr/index.js';
import { DEFAULT_BUSY_POLL_US } from '../runtime/busy-poll.js';
import type { FailMode, QueueConfig } from './bridge.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface PortSpec {
  type: string;
  name: string;
  ofport?: number;
}

export interface RunConfig {
  bridge: string;
  dpid?: bigint;
  failMode: FailMode;
  ports: PortSpec[];
  controllers: string[];
  listen: string[];
  queues: Map<number, QueueConfig[]>;
  rundir: string;
  logLevel: string;
  /** Create the LOCAL port (an internal tap named after the bridge). Default true. */
  local?: boolean;
  /**
   * How system ports receive: 'mmsg' (recvmmsg: wakes per arrival, lowest latency; the default) or
   * 'ring' (TPACKET_V3: fewest syscalls and least CPU per frame, but a block waits up to 1 ms for
   * the kernel's retire timer at low rates). Measured in bench/switch.bench.ts.
   */
  rxMode?: 'mmsg' | 'ring';
  /**
   * Microseconds the event loop keeps polling after activity before it blocks (0 = never); see
   * src/runtime/busy-poll.ts for why and what it costs.
   */
  busyPollUs?: number;
  /** PEM files for ssl: and pssl: targets (Open vSwitch's --private-key, --certificate, --ca-cert). */
  ssl?: SslOptions;
}

const PORT_TYPES = ['system', 'tap', 'dummy', 'internal'];
const FAIL_MODES: FailMode[] = ['standalone', 'secure', 'emergency'];

/** "TYPE:NAME[=OFPORT]" (a bare NAME is a system port). */
export function parsePortSpec(spec: string): PortSpec {
  const m = /^(?:([a-z]+):)?([^=:\s]+)(?:=(\d+))?$/.exec(spec);
  if (!m) throw new ConfigError(`bad port "${spec}": expected TYPE:NAME[=OFPORT]`);
  const type = m[1] ?? 'system';
  if (!PORT_TYPES.includes(type))
    throw new ConfigError(`bad port "${spec}": unknown type "${type}" (use ${PORT_TYPES.join(', ')})`);
  const name = m[2]!;
  if (type !== 'dummy' && name.length > 15)
    throw new ConfigError(`bad port "${spec}": interface name longer than 15 characters`);
  const out: PortSpec = { type, name };
  if (m[3] !== undefined) {
    const n = Number(m[3]);
    if (n < 1 || n >= 0xff00)
      throw new ConfigError(`bad port "${spec}": port number ${n} is not between 1 and 65279`);
    out.ofport = n;
  }
  return out;
}

/** A datapath id: up to 16 hex digits, optionally prefixed with 0x. */
export function parseDpid(s: string): bigint {
  const m = /^(?:0x)?([0-9a-fA-F]{1,16})$/.exec(s);
  if (!m) throw new ConfigError(`bad dpid "${s}": expected up to 16 hex digits`);
  return BigInt(`0x${m[1]}`);
}

export function parseFailMode(s: string): FailMode {
  if (!FAIL_MODES.includes(s as FailMode))
    throw new ConfigError(`bad fail mode "${s}" (use ${FAIL_MODES.join(', ')})`);
  return s as FailMode;
}

/**
 * Checks that no device or number is given twice and gives every port its number: as requested,
 * else the lowest not requested by any port, in order — so a later `NAME=1` cannot collide with a
 * number handed out earlier.
 */
export function numberPorts(ports: PortSpec[]): (PortSpec & { ofport: number })[] {
  const taken = new Set<number>();
  const devices = new Set<string>();
  for (const p of ports) {
    // tap, system and internal ports name the same kernel devices; dummies live apart.
    const dev = p.type === 'dummy' ? `dummy:${p.name}` : p.name;
    if (devices.has(dev)) throw new ConfigError(`port ${p.type}:${p.name} is given twice`);
    devices.add(dev);
    if (p.ofport === undefined) continue;
    if (taken.has(p.ofport)) throw new ConfigError(`port number ${p.ofport} is given twice`);
    taken.add(p.ofport);
  }
  let next = 1;
  return ports.map((p) => {
    if (p.ofport !== undefined) return { ...p, ofport: p.ofport };
    while (taken.has(next)) next++;
    taken.add(next);
    return { ...p, ofport: next };
  });
}

export interface RunFlags {
  config?: string;
  bridge?: string;
  dpid?: string;
  port?: string[];
  controller?: string[];
  listen?: string[];
  failMode?: string;
  logLevel?: string;
  rundir?: string;
  privateKey?: string;
  certificate?: string;
  caCert?: string;
  rxMode?: string;
  busyPoll?: number;
}

const FILE_KEYS = [
  'bridge',
  'dpid',
  'failMode',
  'ports',
  'controllers',
  'listen',
  'queues',
  'rundir',
  'logLevel',
  'privateKey',
  'certificate',
  'caCert',
  'rxMode',
  'busyPollUs',
] as const;

type FileConfig = { [K in (typeof FILE_KEYS)[number]]?: unknown };

function strings(v: unknown, key: string, file: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw new ConfigError(`${file}: "${key}" must be a list of strings`);
  return v;
}

function str(v: unknown, key: string, file: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ConfigError(`${file}: "${key}" must be a string`);
  return v;
}

function parseQueues(v: unknown, file: string): Map<number, QueueConfig[]> {
  const out = new Map<number, QueueConfig[]>();
  if (v === undefined) return out;
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ConfigError(`${file}: "queues" must map port numbers to lists`);
  for (const [port, list] of Object.entries(v as Record<string, unknown>)) {
    const p = Number(port);
    if (!Number.isInteger(p) || p < 1 || p >= 0xff00)
      throw new ConfigError(`${file}: queues: bad port number "${port}"`);
    if (!Array.isArray(list)) throw new ConfigError(`${file}: queues of port ${p} must be a list`);
    out.set(
      p,
      list.map((q: unknown) => {
        const o = q as { id?: unknown; minRate?: unknown };
        if (
          typeof o !== 'object' ||
          o === null ||
          !Number.isInteger(o.id) ||
          (o.id as number) < 0 ||
          (o.id as number) >= 0xffffffff
        )
          throw new ConfigError(`${file}: queues of port ${p}: each needs an integer "id" below 0xffffffff`);
        if (
          o.minRate !== undefined &&
          (!Number.isInteger(o.minRate) || (o.minRate as number) < 0 || (o.minRate as number) > 1000)
        )
          throw new ConfigError(
            `${file}: queue ${String(o.id)} of port ${p}: "minRate" is in tenths of a percent (0..1000)`,
          );
        return {
          queueId: o.id as number,
          ...(o.minRate === undefined ? {} : { minRate: o.minRate as number }),
        };
      }),
    );
  }
  return out;
}

/** Merges the config file (if any) and flags into a checked RunConfig. */
export function resolveRunConfig(flags: RunFlags, env: NodeJS.ProcessEnv = process.env): RunConfig {
  let file: FileConfig = {};
  const fname = flags.config ?? '';
  if (flags.config) {
    let text: string;
    try {
      text = readFileSync(flags.config, 'utf8');
    } catch (e) {
      throw new ConfigError(
        `cannot read config ${flags.config}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    try {
      file = JSON.parse(text) as FileConfig;
    } catch (e) {
      throw new ConfigError(`${flags.config}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof file !== 'object' || file === null || Array.isArray(file))
      throw new ConfigError(`${flags.config}: must be a JSON object`);
    // A misspelt key would otherwise be ignored silently ("failmode" running in standalone). Keys
    // starting with "//" are comments (JSON has none).
    const unknown = Object.keys(file).filter(
      (k) => !k.startsWith('//') && !(FILE_KEYS as readonly string[]).includes(k),
    );
    if (unknown.length > 0)
      throw new ConfigError(`${flags.config}: unknown key "${unknown[0]}" (known: ${FILE_KEYS.join(', ')})`);
  }
  const bridge = flags.bridge ?? str(file.bridge, 'bridge', fname) ?? 'br0';
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(bridge))
    throw new ConfigError(`bad bridge name "${bridge}": 1 to 15 letters, digits, _ . -`);
  const dpidText = flags.dpid ?? str(file.dpid, 'dpid', fname);
  const ports = numberPorts((flags.port ?? strings(file.ports, 'ports', fname) ?? []).map(parsePortSpec));
  const queues = parseQueues(file.queues, fname);
  for (const p of queues.keys())
    if (!ports.some((s) => s.ofport === p))
      throw new ConfigError(`${fname}: queues given for port ${p}, which is not configured`);
  const privateKey = flags.privateKey ?? str(file.privateKey, 'privateKey', fname);
  const certificate = flags.certificate ?? str(file.certificate, 'certificate', fname);
  const caCert = flags.caCert ?? str(file.caCert, 'caCert', fname);
  const sslGiven = [privateKey, certificate, caCert].filter((x) => x !== undefined).length;
  if (sslGiven > 0 && sslGiven < 3)
    throw new ConfigError('SSL needs all three of --private-key, --certificate and --ca-cert');
  const rxMode = flags.rxMode ?? str(file.rxMode, 'rxMode', fname) ?? 'mmsg';
  if (rxMode !== 'mmsg' && rxMode !== 'ring')
    throw new ConfigError(`bad rx mode "${rxMode}" (use mmsg or ring)`);
  const busyPollUs = flags.busyPoll ?? file.busyPollUs ?? DEFAULT_BUSY_POLL_US;
  if (
    typeof busyPollUs !== 'number' ||
    !Number.isInteger(busyPollUs) ||
    busyPollUs < 0 ||
    busyPollUs > 10_000
  )
    throw new ConfigError(`bad busy-poll ${String(busyPollUs)}: microseconds from 0 (off) to 10000`);
  const ssl = privateKey && certificate && caCert ? { privateKey, certificate, caCert } : undefined;
  return {
    bridge,
    ...(dpidText === undefined ? {} : { dpid: parseDpid(dpidText) }),
    failMode: parseFailMode(flags.failMode ?? str(file.failMode, 'failMode', fname) ?? 'standalone'),
    ports,
    controllers: flags.controller ?? strings(file.controllers, 'controllers', fname) ?? [],
    listen: flags.listen ?? strings(file.listen, 'listen', fname) ?? [],
    queues,
    rundir: flags.rundir ?? str(file.rundir, 'rundir', fname) ?? env.OFDP_RUNDIR ?? '/run/ofdp',
    logLevel: flags.logLevel ?? str(file.logLevel, 'logLevel', fname) ?? 'info',
    rxMode,
    busyPollUs,
    ...(ssl ? { ssl } : {}),
  };
}
