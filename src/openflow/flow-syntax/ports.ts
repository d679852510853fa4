/*
 * Port numbers and names in flow syntax, as OVS's ofputil_port_from_string() reads them.
 *
 * A port is a decimal number (OF1.0 numbers below 0xff00, the reserved 0xfff8..0xffff, or the
 * OF1.1 forms 0xffffff00.. which map back into 16 bits), a reserved name (case-insensitive:
 * IN_PORT, TABLE, NORMAL, FLOOD, ALL, CONTROLLER, LOCAL, ANY, UNSET, NONE), or a name from the
 * switch's port map (case-sensitive, optionally JSON-quoted). OVS logs warnings for the odd numeric
 * forms; they are returned here, with the same text (OVS logs the "deprecated" one only once per
 * process; here every parse reports it).
 */
import { OFPP } from '../constants.js';
import { formatPort } from '../print/ports.js';
import type { OfpPhyPort } from '../structs.js';
import { scanInteger } from './c-numbers.js';

/** OVS's OFPP_UNSET (0xfff7), only meaningful for actset_output but accepted by name anywhere. */
export const OFPP_UNSET = 0xfff7;
const OFPP_FIRST_RESV = 0xfff7;
const OFPP11_MAX = 0xffffff00;
const OFPP11_OFFSET = 0xffff0000;

/** Port names a switch reported, name → number. Names reported twice are unusable, as in OVS. */
export type PortNameMap = ReadonlyMap<string, number>;

const RESERVED: ReadonlyArray<[string, number]> = [
  ['IN_PORT', OFPP.IN_PORT],
  ['TABLE', OFPP.TABLE],
  ['NORMAL', OFPP.NORMAL],
  ['FLOOD', OFPP.FLOOD],
  ['ALL', OFPP.ALL],
  ['CONTROLLER', OFPP.CONTROLLER],
  ['LOCAL', OFPP.LOCAL],
  ['ANY', OFPP.NONE],
  ['UNSET', OFPP_UNSET],
  ['NONE', OFPP.NONE],
];

/** Builds a port-name map from a features reply's ports, leaving out duplicated names. */
export function portNameMap(ports: readonly Pick<OfpPhyPort, 'port_no' | 'name'>[]): Map<string, number> {
  const seen = new Map<string, number>();
  const dup = new Set<string>();
  for (const p of ports) {
    if (seen.has(p.name)) dup.add(p.name);
    seen.set(p.name, p.port_no);
  }
  for (const d of dup) seen.delete(d);
  return seen;
}

/**
 * Parses a port. Returns the 16-bit port number, or undefined when `s` is not a port (the caller
 * words the error). Warnings OVS would log go to `warn`.
 */
export function parsePort(
  s: string,
  names: PortNameMap | undefined,
  warn: (msg: string) => void,
): number | undefined {
  if (s.startsWith('-')) {
    warn(`Negative value ${s} is not a valid port number.`);
    return undefined;
  }
  const r = scanInteger(s, 10, 1n << 63n);
  if (r.end !== 0 && r.end === s.length && !r.overflow && r.value >= 0n && r.value <= 0xffffffffn) {
    let port = Number(r.value);
    if (port < OFPP.MAX) {
      // An ordinary port.
    } else if (port < OFPP_FIRST_RESV) {
      warn(
        `port ${port} is a reserved OF1.0 port number that will be translated to ${port + OFPP11_OFFSET} ` +
          'when talking to an OF1.1 or later controller',
      );
    } else if (port <= 0xffff) {
      warn(
        `referring to port ${formatPort(port)} as ${port} is deprecated for compatibility with OpenFlow 1.1 and later`,
      );
    } else if (port < OFPP11_MAX) {
      warn(`port ${port} is outside the supported range 0 through ffff or 0xffffff00 through 0xffffffff`);
      return undefined;
    } else {
      port -= OFPP11_OFFSET;
    }
    return port;
  }
  for (const [name, n] of RESERVED) if (name.toLowerCase() === s.toLowerCase()) return n;
  if (!names) return undefined;
  let name: string | undefined = s;
  if (s.startsWith('"')) {
    name = undefined;
    if (s.length > 1 && s.endsWith('"')) {
      try {
        const v: unknown = JSON.parse(s);
        if (typeof v === 'string') name = v;
      } catch {
        name = undefined;
      }
    }
  }
  return name === undefined ? undefined : names.get(name);
}
