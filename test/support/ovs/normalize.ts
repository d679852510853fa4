/*
 * Normalising ovs-ofctl output so text from Open vSwitch and from ofdp can be compared.
 *
 * Issue #5 allows normalising "only for durations, dpid and names", so this is deliberately
 * narrow: flow durations (which depend on timing) are masked, and every other difference must be
 * named by the caller as a literal token → placeholder pair (port and bridge names, dpids, MAC
 * addresses). Tokens match whole words only — a token is not replaced when a letter, digit or `_`
 * touches it on either side — so `va1x1` never rewrites part of `va1x10`, and a dpid never
 * matches inside a longer hex string. There are no other patterns: any difference not listed by
 * the caller stays visible in the comparison.
 */

export interface NormalizeOptions {
  /** Mask `duration=1.234s` (flow stats) and `duration1.234s` (flow removed); default true. */
  durations?: boolean;
}

const DURATION = /(?<![A-Za-z0-9_])duration(=?)\d+(?:\.\d+)?s(?![A-Za-z0-9_])/g;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Replaces each whole-word occurrence of a key of `replacements` with its value (in one pass, so
 * a value is never itself rewritten; longer keys win over keys they contain), then masks durations.
 */
export function normalizeOfctl(
  text: string,
  replacements: Readonly<Record<string, string>> | ReadonlyMap<string, string> = {},
  opts: NormalizeOptions = {},
): string {
  const map = replacements instanceof Map ? replacements : new Map(Object.entries(replacements));
  let out = text;
  if (map.size > 0) {
    const keys = [...map.keys()];
    if (keys.some((k) => k.length === 0)) throw new Error('normalizeOfctl: empty token');
    keys.sort((a, b) => b.length - a.length);
    const re = new RegExp(`(?<![A-Za-z0-9_])(?:${keys.map(escapeRegExp).join('|')})(?![A-Za-z0-9_])`, 'g');
    out = out.replace(re, (m) => map.get(m)!);
  }
  if (opts.durations ?? true) out = out.replace(DURATION, 'duration$1<dur>s');
  return out;
}

export interface ShowPort {
  /** `1`, `2`, …, or `LOCAL`. */
  port: string;
  name: string;
  addr: string;
  /** The port's indented detail lines (config, state, current, speed, …). */
  lines: string[];
}

/** The ports listed by `ovs-ofctl show` (lines ` N(name): addr:MAC` and their indented details). */
export function showPorts(text: string): Map<string, ShowPort> {
  const ports = new Map<string, ShowPort>();
  let cur: ShowPort | undefined;
  for (const line of text.split('\n')) {
    const m = /^ (\w+)\(([^)]+)\): addr:([0-9a-f:]{17})$/.exec(line);
    if (m) {
      cur = { port: m[1]!, name: m[2]!, addr: m[3]!, lines: [] };
      ports.set(cur.port, cur);
    } else if (cur && line.startsWith('     ')) cur.lines.push(line);
    else cur = undefined;
  }
  return ports;
}

/**
 * Placeholders for one switch's names, from its `show` output: the dpid becomes `<dpid>`, and
 * each port's name and MAC become `<name:P>` and `<addr:P>` for its port number P. Normalising
 * each switch's output with its own map makes two identically numbered bridges compare equal
 * whatever their interfaces are called, and nothing else.
 */
export function showPlaceholders(show: string): Record<string, string> {
  const map: Record<string, string> = {};
  const dpid = /dpid:([0-9a-f]{16})/.exec(show);
  if (dpid) map[dpid[1]!] = '<dpid>';
  for (const p of showPorts(show).values()) {
    map[p.name] = `<name:${p.port}>`;
    map[p.addr] = `<addr:${p.port}>`;
  }
  return map;
}
