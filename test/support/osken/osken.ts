/*
 * Glue to os-ken's OpenFlow 1.0 codec (python3-os-ken, Debian's system python), the independent
 * implementation the os-ken cross-check tests compare ofdp's codec against.
 *
 * One call runs osken-helper.py once for a whole batch (parse hundreds of messages, build hundreds
 * of specs): the interpreter start-up dominates, so batching keeps each test file at a few seconds.
 * The helper's protocol and its "view" of a decoded message are described in osken-helper.py.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { OFPST } from '../../../src/openflow/constants.js';

/** Debian's python3, which has os_ken; the python3 on PATH may be another one without it. */
export const OSKEN_PYTHON = '/usr/bin/python3';
const HELPER = fileURLToPath(new URL('./osken-helper.py', import.meta.url));

/** Why os-ken cannot be used here, or undefined when it can. */
export function oskenMissingReason(): string | undefined {
  const r = spawnSync(OSKEN_PYTHON, ['-c', 'import os_ken.ofproto.ofproto_v1_0_parser'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.error) return `${OSKEN_PYTHON} cannot run (${r.error.message})`;
  if (r.status !== 0)
    return `${OSKEN_PYTHON} cannot import os_ken (install python3-os-ken): ${r.stderr.trim().split('\n').pop() ?? ''}`;
  return undefined;
}

/** oskenMissingReason(), announced loudly when set: test files skip their os-ken suites on it. */
export function oskenSkipReason(): string | undefined {
  const r = oskenMissingReason();
  if (r) console.warn(`\n*** SKIPPING os-ken cross-check tests: ${r} ***\n`);
  return r;
}

/**
 * The stats types of OpenFlow 1.0 (OFPST_PORT_DESC is not one), each of which os-ken 2.5 both builds
 * requests and parses replies for: the cross-checks require their samples to cover every one.
 */
export const OSKEN_STATS_TYPES: readonly number[] = [
  OFPST.DESC,
  OFPST.FLOW,
  OFPST.AGGREGATE,
  OFPST.TABLE,
  OFPST.PORT,
  OFPST.QUEUE,
  OFPST.VENDOR,
];

/** os-ken's decoded message, walked into plain JSON by osken-helper.py. */
export type OskenView = { [k: string]: unknown };
export type OskenResult<T> = { ok: T; error?: undefined } | { ok?: undefined; error: string };

/** A constructor call in os-ken's OF1.0 parser module: class name, keyword arguments, later attributes. */
export interface OskenSpec {
  cls: string;
  xid?: number;
  args?: { [k: string]: OskenArg };
  attrs?: { [k: string]: OskenArg };
}
export type OskenArg = number | bigint | string | null | { hex: string } | OskenSpec | OskenArg[];

/** JSON with bigints written as plain integers (Python's json reads them exactly). */
function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `\u0000big${x}` : x)).replace(
    /"\\u0000big(\d+)"/g,
    '$1',
  );
}

interface Answer {
  parse: OskenResult<OskenView>[];
  build: OskenResult<string>[];
  constants?: Record<string, number>;
}

function run(request: { parse?: string[]; build?: OskenSpec[]; constants?: boolean }): Answer {
  const r = spawnSync(OSKEN_PYTHON, [HELPER], {
    input: toJson(request),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`osken-helper.py exited with ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Answer;
}

/** Parses each OpenFlow message with os-ken's ofproto_parser.msg(). */
export function oskenParse(messages: readonly Buffer[]): OskenResult<OskenView>[] {
  return run({ parse: messages.map((b) => b.toString('hex')) }).parse;
}

/** Builds and serializes each spec with os-ken; the result is the message's bytes as hex. */
export function oskenBuild(specs: readonly OskenSpec[]): OskenResult<string>[] {
  return run({ build: [...specs] }).build;
}

/** Every integer constant os-ken's ofproto_v1_0 module defines, by name (OFPT_HELLO, OFPFW_ALL, ...). */
export function oskenConstants(): Record<string, number> {
  return run({ constants: true }).constants!;
}
