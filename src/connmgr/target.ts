/*
 * Connection targets in Open vSwitch's syntax, parsed into a tagged union with one-line errors.
 *
 *   active:  tcp:IP[:PORT]   ssl:IP[:PORT]   unix:PATH          (PORT default 6653)
 *   passive: ptcp:[PORT][:IP]   pssl:[PORT][:IP]   punix:PATH   (PORT default 6653, IP 127.0.0.1)
 *
 * The passive default address is 127.0.0.1, as issue #5 asks; Open vSwitch's is every address, so
 * to listen on all of them say `ptcp:6653:0.0.0.0`. IPv6 addresses may be written in brackets
 * (`tcp:[::1]:6653`, `ptcp:6653:[::1]`). Only IP literals are accepted, not host names: a target is
 * dialled again on every reconnect and should not depend on name resolution. Port 0 is allowed for
 * passive targets only (the system picks a free port; see Listener.address).
 */
import { isIP } from 'node:net';
import { OFP_TCP_PORT } from '../openflow/constants.js';

export { OFP_TCP_PORT };
export const DEFAULT_PASSIVE_HOST = '127.0.0.1';

export type ActiveTarget =
  | { kind: 'active'; transport: 'tcp' | 'ssl'; host: string; port: number }
  | { kind: 'active'; transport: 'unix'; path: string };
export type PassiveTarget =
  | { kind: 'passive'; transport: 'tcp' | 'ssl'; host: string; port: number }
  | { kind: 'passive'; transport: 'unix'; path: string };
export type Target = ActiveTarget | PassiveTarget;

export class TargetError extends Error {
  override name = 'TargetError';
}

/** Parses any target; throws TargetError with a one-line message. */
export function parseTarget(text: string): Target {
  const colon = text.indexOf(':');
  const method = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? undefined : text.slice(colon + 1);
  const fail = (why: string): never => {
    throw new TargetError(`invalid connection target "${text}": ${why}`);
  };
  switch (method) {
    case 'tcp':
    case 'ssl': {
      if (rest === undefined || rest === '') fail(`expected ${method}:IP[:PORT]`);
      const { host, port } = splitHostPort(rest!, fail);
      return { kind: 'active', transport: method, host, port: port ?? OFP_TCP_PORT };
    }
    case 'unix':
    case 'punix':
      if (!rest) fail(`expected ${method}:PATH`);
      return method === 'unix'
        ? { kind: 'active', transport: 'unix', path: rest! }
        : { kind: 'passive', transport: 'unix', path: rest! };
    case 'ptcp':
    case 'pssl': {
      const r = rest ?? '';
      const c = r.indexOf(':');
      const portText = c < 0 ? r : r.slice(0, c);
      const hostText = c < 0 ? '' : r.slice(c + 1);
      const port = portText === '' ? OFP_TCP_PORT : parsePort(portText, true, fail);
      const host = hostText === '' ? DEFAULT_PASSIVE_HOST : parseIp(unbracket(hostText), fail);
      return { kind: 'passive', transport: method === 'ptcp' ? 'tcp' : 'ssl', host, port };
    }
    default:
      return fail(`unknown connection method "${method}" (expected tcp, ssl, unix, ptcp, pssl or punix)`);
  }
}

/** Parses an active target (for --controller). */
export function parseActiveTarget(text: string): ActiveTarget {
  const t = parseTarget(text);
  if (t.kind !== 'active')
    throw new TargetError(`"${text}" is a passive target; a controller needs tcp:, ssl: or unix:`);
  return t;
}

/** Parses a passive target (for --listen). */
export function parsePassiveTarget(text: string): PassiveTarget {
  const t = parseTarget(text);
  if (t.kind !== 'passive')
    throw new TargetError(`"${text}" is an active target; a listener needs ptcp:, pssl: or punix:`);
  return t;
}

/** The canonical text of a target (what parseTarget would read back). */
export function formatTarget(t: Target): string {
  if (t.transport === 'unix') return `${t.kind === 'active' ? 'unix' : 'punix'}:${t.path}`;
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return t.kind === 'active' ? `${t.transport}:${host}:${t.port}` : `p${t.transport}:${t.port}:${host}`;
}

function splitHostPort(s: string, fail: (why: string) => never): { host: string; port: number | undefined } {
  let hostText: string;
  let portText: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) fail('missing "]" after IPv6 address');
    hostText = s.slice(1, close);
    const after = s.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) fail(`unexpected "${after}" after "]"`);
    portText = after === '' ? undefined : after.slice(1);
  } else {
    const c = s.indexOf(':');
    if (c >= 0 && s.indexOf(':', c + 1) >= 0) fail('write IPv6 addresses in brackets, as [ADDR]:PORT');
    hostText = c < 0 ? s : s.slice(0, c);
    portText = c < 0 ? undefined : s.slice(c + 1);
  }
  const host = parseIp(hostText, fail);
  return { host, port: portText === undefined ? undefined : parsePort(portText, false, fail) };
}

function unbracket(s: string): string {
  return s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
}

function parseIp(s: string, fail: (why: string) => never): string {
  if (isIP(s) === 0) fail(`"${s}" is not an IP address`);
  return s;
}

function parsePort(s: string, allowZero: boolean, fail: (why: string) => never): number {
  if (!/^\d{1,5}$/.test(s)) fail(`"${s}" is not a port number`);
  const n = Number(s);
  if (n > 65535 || (n === 0 && !allowZero)) fail(`port ${n} is out of range`);
  return n;
}
