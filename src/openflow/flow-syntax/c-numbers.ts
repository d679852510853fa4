/*
 * Number and address scanning with the exact leniencies of the C library calls ovs-ofctl uses.
 *
 * ovs-ofctl reads numbers with strtol/strtoull (base 0: `0x` hex, leading `0` octal, optional sign
 * and leading white space, negative values wrapping for the unsigned calls), field values with its
 * own parse_int_string(), addresses with ovs_scan() ("%hhu.%hhu.%hhu.%hhu", which truncates each
 * part to 8 bits) or inet_pton(). Reproducing those rules here is what makes `parse(text)` give the
 * same bytes as ovs-ofctl for every input it accepts, and reject what it rejects.
 *
 * Everything is pure; 64-bit quantities are bigint.
 */

const U64_MAX = (1n << 64n) - 1n;

/** Result of a strtol-family scan of `s` from index `start`. */
export interface Scanned {
  /** The value, sign applied (unbounded). */
  value: bigint;
  /** Index just after the digits; equals `start` when nothing was scanned (C's `tail == s`). */
  end: number;
  /** True when the magnitude exceeded `limit` (C's ERANGE). */
  overflow: boolean;
}

function digitValue(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 122) return code - 87;
  if (code >= 65 && code <= 90) return code - 55;
  return 99;
}

/** C isspace() in the "C" locale. */
function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

/**
 * C strtol/strtoull: optional white space and sign, then digits in `base` (0 = C prefixes).
 * `limit` is the largest magnitude before ERANGE (2^63 for signed, 2^64-1 for unsigned).
 */
export function scanInteger(s: string, base: number, limit: bigint, start = 0): Scanned {
  let i = start;
  while (isSpace(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-';
    i++;
  }
  let b = base;
  if (
    (b === 0 || b === 16) &&
    s[i] === '0' &&
    (s[i + 1] === 'x' || s[i + 1] === 'X') &&
    digitValue(s[i + 2] ?? '') < 16
  ) {
    i += 2;
    b = 16;
  } else if (b === 0) {
    b = s[i] === '0' ? 8 : 10;
  }
  const digitsStart = i;
  let v = 0n;
  let overflow = false;
  const bb = BigInt(b);
  while (i < s.length && digitValue(s[i]!) < b) {
    v = v * bb + BigInt(digitValue(s[i]!));
    if (v > limit) overflow = true;
    i++;
  }
  if (i === digitsStart) return { value: 0n, end: start, overflow: false };
  return { value: negative ? -v : v, end: i, overflow };
}

/** C str_to_llong()/str_to_int(): the whole string must be one in-range integer. */
export function strToInt(s: string, base: number, min: bigint, max: bigint): bigint | undefined {
  const r = scanInteger(s, base, 1n << 63n);
  if (r.end === 0 || r.end !== s.length || r.overflow) return undefined;
  if (r.value < min || r.value > max) return undefined;
  return r.value;
}

/** OVS str_to_u8()/str_to_u16(): `invalid NAME "STR"` unless `s` is an integer in 0..max. */
export function strToUnsigned(s: string, name: string, max: number): number | string {
  const v = strToInt(s, 0, -(1n << 31n), (1n << 31n) - 1n);
  if (v === undefined || v < 0n || v > BigInt(max)) return `invalid ${name} "${s}"`;
  return Number(v);
}

/** C strtoull() with the whole-string check of OVS str_to_u64(); negative values wrap. */
function strtoullWhole(s: string): bigint | string {
  if (!s) return 'missing required numeric argument';
  const r = scanInteger(s, 0, U64_MAX);
  if (r.end === 0 || r.overflow || r.end !== s.length) return `invalid numeric format ${s}`;
  return r.value < 0n ? (U64_MAX + 1n + r.value) & U64_MAX : r.value;
}

/** OVS str_to_u64(). */
export function strToU64(s: string): bigint | string {
  return strtoullWhole(s);
}

/** OVS str_to_u32(): strtoul() (64-bit here) stored into a uint32, so large values truncate. */
export function strToU32(s: string): number | string {
  const v = strtoullWhole(s);
  return typeof v === 'string' ? v : Number(v & 0xffffffffn);
}

/**
 * OVS parse_int_string(): a `0x` hex string of any length that must fit `width` bytes, or a
 * strtoull() number (base 0) that must fit. Returns the value and where scanning stopped, or the
 * errno (ERANGE / EINVAL) that OVS reports.
 */
export function parseIntString(
  s: string,
  width: number,
): { value: bigint; end: number } | { error: 'ERANGE' | 'EINVAL' } {
  const maxValue = (1n << BigInt(8 * width)) - 1n;
  if (s.startsWith('0x') || s.startsWith('0X')) {
    let i = 2;
    let v = 0n;
    let len = 0;
    while (true) {
      while (s[i] === ' ' || s[i] === '\t' || s[i] === '\r' || s[i] === '\n') i++;
      const c = s[i];
      if (c === undefined || digitValue(c) >= 16) break;
      const d = digitValue(c);
      if (d !== 0 || len) {
        if (Math.ceil((len + 1) / 2) > width) return { error: 'ERANGE' };
        v = v * 16n + BigInt(d);
        len++;
      }
      i++;
    }
    return { value: v, end: i };
  }
  const r = scanInteger(s, 0, U64_MAX);
  if (r.overflow) return { error: 'ERANGE' };
  if (r.end === 0) return { error: 'EINVAL' };
  const v = r.value < 0n ? (U64_MAX + 1n + r.value) & U64_MAX : r.value;
  if (v > maxValue) return { error: 'ERANGE' };
  return { value: v, end: r.end };
}

/** ovs_scan() "%hhu" / "%hhx" / "%d": one number at `i`, truncated as the C conversion stores it. */
function scanPart(
  s: string,
  i: number,
  base: number,
  bits: number,
): { value: number; end: number } | undefined {
  const r = scanInteger(s, base, U64_MAX, i);
  if (r.end === i) return undefined;
  const mod = 1n << BigInt(bits);
  let v = r.overflow ? U64_MAX : r.value;
  v = ((v % mod) + mod) % mod;
  return { value: Number(v), end: r.end };
}

/** `count` 8-bit parts in `base` separated by `sep`, at `i`, as one big-endian number. */
function scanBytes(
  s: string,
  i: number,
  count: number,
  sep: string,
  base: number,
): { value: number; end: number } | undefined {
  let v = 0;
  let p = i;
  for (let k = 0; k < count; k++) {
    if (k) {
      if (s[p] !== sep) return undefined;
      p++;
    }
    const part = scanPart(s, p, base, 8);
    if (!part) return undefined;
    v = v * 256 + part.value;
    p = part.end;
  }
  return { value: v, end: p };
}

/** ovs_scan(s, "%hhu.%hhu.%hhu.%hhu"): a dotted quad at `i` (each part truncated to 8 bits). */
export function scanIp(s: string, i: number): { value: number; end: number } | undefined {
  return scanBytes(s, i, 4, '.', 10);
}

/** ovs_scan(s, ETH_ADDR_SCAN_FMT): six `%hhx` separated by colons, at `i`. */
export function scanMac(s: string, i: number): { value: number; end: number } | undefined {
  return scanBytes(s, i, 6, ':', 16);
}

/** A signed "%d" at `i` (32-bit truncation). */
export function scanDecimal(s: string, i: number): { value: number; end: number } | undefined {
  const part = scanPart(s, i, 10, 32);
  if (!part) return undefined;
  return { value: part.value | 0, end: part.end };
}

/** inet_pton(AF_INET): strict dotted quad, no leading zeros, each part 0..255. */
export function inetPton4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return v >>> 0;
}

/** Count of trailing zero bits of a uint32 (32 for 0). */
export function ctz32(x: number): number {
  if (x === 0) return 32;
  let n = 0;
  while (!((x >>> n) & 1)) n++;
  return n;
}

/** True when `mask` is a CIDR netmask (ones then zeros). */
export function isCidr(mask: number): boolean {
  const inv = ~mask >>> 0;
  return ((inv + 1) & inv) >>> 0 === 0;
}
