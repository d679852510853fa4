/*
 * Declarative wire layouts: one declaration of a structure yields its TypeScript type, decoder,
 * encoder and size.
 *
 * Why code generation: the decoder must turn a FLOW_MOD into an object in well under a microsecond.
 * Interpreting a field table per message costs a closure call and a megamorphic property store per
 * field; compiling each layout once into a function that returns one object literal gives V8 a single
 * hidden class per structure and straight-line byte arithmetic. The generated source only ever
 * contains field names and numbers from the declarations in this directory, never input data.
 *
 * Conventions:
 * - MAC addresses are 48-bit unsigned integers held in a Number (exact, allocation-free, hashable).
 * - IPv4 addresses are 32-bit unsigned integers.
 * - 64-bit fields are bigint.
 * - Buffers in decoded values are views into the input (no copy): the caller owns the input buffer
 *   and must not overwrite it while the decoded value is in use.
 * - Pads decode to nothing and encode as zeros.
 */
import { OfpDecodeError, badLen } from './decode-error.js';

/** A fixed-size field: code snippets for the struct compiler. */
export interface Fixed<T> {
  readonly size: number;
  /** Expression reading the value from buffer `b` at offset expression `o`. */
  readonly dec: (o: string, h: Helpers) => string;
  /** Statement writing value expression `v` into `b` at offset expression `o`. */
  readonly enc: (o: string, v: string, h: Helpers) => string;
  readonly zero: () => T;
  /** Phantom, for type inference only. */
  readonly _t?: T;
}

/** A pad: skipped on decode, zeros on encode, absent from the type. */
export interface Pad extends Fixed<never> {
  readonly pad: true;
}

/**
 * A field whose value is computed on encode (a length) and not stored on decode.
 * `derive` receives the whole value being encoded and its total encoded size.
 */
export interface Derived extends Fixed<never> {
  readonly derived: (value: never, total: number) => number;
  readonly inner: Fixed<number>;
}

/** A variable-length part that follows the fixed fields of a record. */
export interface Tail<T> {
  /**
   * Decodes from `start` up to at most `end`; `recStart` is the start of the enclosing record, for
   * tails whose extent is given by a fixed field. Sets `cursor.pos` to the end of what it consumed.
   */
  decode(b: Buffer, start: number, end: number, recStart: number): T;
  /** `rec` is the enclosing record's value, for tails whose layout depends on a fixed field. */
  size(v: T, rec?: unknown): number;
  /** Writes exactly `size(v)` bytes at `o`. */
  encode(b: Buffer, o: number, v: T, rec?: unknown): void;
  zero(): T;
}

/** Shared decode cursor: tails report where they stopped. Single-threaded, so one is enough. */
export const cursor = { pos: 0 };

type Helpers = unknown[];
function helper(h: Helpers, fn: unknown): string {
  let i = h.indexOf(fn);
  if (i < 0) i = h.push(fn) - 1;
  return `h[${i}]`;
}

// ---- primitives -----------------------------------------------------------------------------------

export const u8: Fixed<number> = {
  size: 1,
  dec: (o) => `b[${o}]`,
  enc: (o, v) => `b[${o}] = ${v};`,
  zero: () => 0,
};

export const u16: Fixed<number> = {
  size: 2,
  dec: (o) => `((b[${o}] << 8) | b[${o} + 1])`,
  enc: (o, v) => `b[${o}] = ${v} >>> 8; b[${o} + 1] = ${v};`,
  zero: () => 0,
};

export const u32: Fixed<number> = {
  size: 4,
  dec: (o) => `(((b[${o}] << 24) | (b[${o} + 1] << 16) | (b[${o} + 2] << 8) | b[${o} + 3]) >>> 0)`,
  enc: (o, v) =>
    `b[${o}] = ${v} >>> 24; b[${o} + 1] = ${v} >>> 16; b[${o} + 2] = ${v} >>> 8; b[${o} + 3] = ${v};`,
  zero: () => 0,
};

export const ipv4: Fixed<number> = u32;

export const u64: Fixed<bigint> = {
  size: 8,
  dec: (o) => `b.readBigUInt64BE(${o})`,
  enc: (o, v) => `b.writeBigUInt64BE(${v}, ${o});`,
  zero: () => 0n,
};

export const mac: Fixed<number> = {
  size: 6,
  dec: (o) =>
    `((b[${o}] << 8 | b[${o} + 1]) * 4294967296 + (((b[${o} + 2] << 24) | (b[${o} + 3] << 16) | (b[${o} + 4] << 8) | b[${o} + 5]) >>> 0))`,
  enc: (o, v, h) => `${helper(h, writeMac)}(b, ${o}, ${v});`,
  zero: () => 0,
};

export function writeMac(b: Uint8Array, o: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  b[o] = hi >>> 8;
  b[o + 1] = hi;
  b[o + 2] = v >>> 24;
  b[o + 3] = v >>> 16;
  b[o + 4] = v >>> 8;
  b[o + 5] = v;
}

export function readMac(b: Uint8Array, o: number): number {
  return (
    ((b[o]! << 8) | b[o + 1]!) * 4294967296 +
    (((b[o + 2]! << 24) | (b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!) >>> 0)
  );
}

export function pad(n: number): Pad {
  return {
    size: n,
    pad: true,
    dec: () => 'undefined',
    enc: (o) => `b.fill(0, ${o}, ${o} + ${n});`,
    zero: () => undefined as never,
  };
}

/** A NUL-padded string of `n` bytes (port names, descriptions). */
export function str(n: number): Fixed<string> {
  return {
    size: n,
    dec: (o, h) => `${helper(h, readStr)}(b, ${o}, ${n})`,
    enc: (o, v, h) => `${helper(h, writeStr)}(b, ${o}, ${n}, ${v});`,
    zero: () => '',
  };
}

function readStr(b: Buffer, o: number, n: number): string {
  let e = o;
  const lim = o + n;
  while (e < lim && b[e] !== 0) e++;
  return b.toString('latin1', o, e);
}

function writeStr(b: Buffer, o: number, n: number, s: string): void {
  const w = b.write(s.slice(0, n), o, n, 'latin1');
  b.fill(0, o + w, o + n);
}

/** A length field computed on encode. `derive(value, totalSize)` gives the number written. */
export function derived<V>(inner: Fixed<number>, derive: (value: V, total: number) => number): Derived {
  return {
    size: inner.size,
    inner,
    derived: derive as (value: never, total: number) => number,
    dec: () => 'undefined',
    enc: () => '',
    zero: () => undefined as never,
  };
}

/** The total encoded size of the record being written. */
export const totalLen = (inner: Fixed<number> = u16): Derived =>
  derived(inner, (_v: unknown, total) => total);

// ---- records --------------------------------------------------------------------------------------

type Field = Fixed<unknown> | Tail<unknown>;
export type Spec = Record<string, Field>;

type Stored<S extends Spec> = {
  [K in keyof S as S[K] extends Pad ? never : S[K] extends Derived ? never : K]: S[K] extends Fixed<infer T>
    ? T
    : S[K] extends Tail<infer T>
      ? T
      : never;
};
/** The value type of a layout: pads and derived fields left out. */
export type Infer<S extends Spec> = { -readonly [K in keyof Stored<S>]: Stored<S>[K] };

function isTail(f: Field): f is Tail<unknown> {
  return typeof (f as Tail<unknown>).decode === 'function';
}

export interface Record_<T> {
  readonly name: string;
  /** Bytes of the fixed part. */
  readonly fixedSize: number;
  /** True when every field is fixed, so `size` is constant. */
  readonly isFixed: boolean;
  readonly fields: readonly (readonly [string, Field])[];
  /** Decodes the record occupying [o, end). Throws OfpDecodeError when it does not fit. */
  decode(b: Buffer, o: number, end: number): T;
  size(v: T): number;
  /** Writes the record at `o`; returns the offset after it. */
  encode(b: Buffer, o: number, v: T): number;
  zero(): T;
}

/**
 * Compiles a record layout. `prefix` fields (such as a message's `type`) are constants put first in
 * every decoded object; `lead` bytes before the fixed fields are skipped (an OpenFlow header).
 */
export function record<S extends Spec, P extends Record<string, number> = Record<never, number>>(
  name: string,
  spec: S,
  opts: { lead?: number; prefix?: P; withXid?: boolean; withVersion?: boolean } = {},
): Record_<Infer<S> & P> {
  const lead = opts.lead ?? 0;
  const prefix = opts.prefix ?? ({} as P);
  const fields = Object.entries(spec);
  const h: Helpers = [];
  let off = lead;
  const decParts: string[] = [];
  const encParts: string[] = [];
  const tailEnc: string[] = [];
  const sizeParts: string[] = [];
  const zeroParts: string[] = [];
  let seenTail = false;
  for (const [k, v] of Object.entries(prefix)) {
    decParts.push(`${JSON.stringify(k)}: ${v}`);
    zeroParts.push(`${JSON.stringify(k)}: ${v}`);
  }
  if (opts.withXid) {
    decParts.push('xid: xid');
    zeroParts.push('xid: 0');
  }
  if (opts.withVersion) {
    decParts.push('version: version');
    zeroParts.push('version: 1');
  }
  for (const [key, f] of fields) {
    const k = JSON.stringify(key);
    if (isTail(f)) {
      const t = helper(h, f);
      // The first tail starts right after the fixed part: nested fixed records move the cursor.
      decParts.push(`${k}: ${t}.decode(b, ${seenTail ? 'cursor.pos' : `o + ${off}`}, end, o)`);
      seenTail = true;
      sizeParts.push(`${t}.size(v[${k}], v)`);
      tailEnc.push(`${t}.encode(b, p, v[${k}], v); p += ${t}.size(v[${k}], v);`);
      zeroParts.push(`${k}: ${t}.zero()`);
      continue;
    }
    if (seenTail) throw new Error(`${name}.${key}: fixed field after a variable one`);
    const at = `o + ${off}`;
    if ('derived' in f) {
      const d = f as Derived;
      encParts.push(`{ const d = ${helper(h, d.derived)}(v, total); ${d.inner.enc(at, 'd', h)} }`);
    } else if ('pad' in f) {
      encParts.push(f.enc(at, '', h));
    } else {
      decParts.push(`${k}: ${f.dec(at, h)}`);
      encParts.push(f.enc(at, `v[${k}]`, h));
      zeroParts.push(`${k}: ${helper(h, f.zero)}()`);
    }
    off += f.size;
  }
  const fixedSize = off;
  const cursorRef = helper(h, cursor);
  const lenErr = helper(h, (have: number) => badLen(`${name}: ${have} bytes, need at least ${fixedSize}`));
  const leftoverErr = helper(h, (left: number) => badLen(`${name}: ${left} trailing bytes`));
  const decSrc = `
    const cursor = ${cursorRef};
    return function decode_${name}(b, o, end, xid, version) {
      if (end - o < ${fixedSize}) throw ${lenErr}(end - o);
      cursor.pos = o + ${fixedSize};
      const v = { ${decParts.join(',\n')} };
      ${seenTail ? `if (cursor.pos !== end) throw ${leftoverErr}(end - cursor.pos);` : `if (end !== o + ${fixedSize}) throw ${leftoverErr}(end - o - ${fixedSize});`}
      return v;
    };`;
  const sizeSrc = `return function size_${name}(v) { return ${[String(fixedSize), ...sizeParts].join(' + ')}; };`;
  const encSrc = `
    return function encode_${name}(b, o, v, total) {
      if (total === undefined) total = size(v);
      ${encParts.join('\n')}
      ${seenTail ? `let p = o + ${fixedSize};\n${tailEnc.join('\n')}` : ''}
      return o + total;
    };`;
  const zeroSrc = `return function zero_${name}() { return { ${zeroParts.join(',\n')} }; };`;
  const decode = new Function('h', decSrc)(h) as Record_<Infer<S> & P>['decode'];
  const size = new Function('h', sizeSrc)(h) as (v: unknown) => number;
  const encode = new Function('h', 'size', encSrc)(h, size) as Record_<Infer<S> & P>['encode'];
  const zero = new Function('h', zeroSrc)(h) as () => Infer<S> & P;
  return {
    name,
    fixedSize,
    isFixed: !seenTail,
    fields,
    decode: decode,
    size: size as (v: Infer<S> & P) => number,
    encode,
    zero,
  };
}

/** A record used as a fixed-size field of another record. */
export function nested<T>(r: Record_<T>): Fixed<T> {
  if (!r.isFixed) throw new Error(`${r.name} is not fixed-size`);
  return {
    size: r.fixedSize,
    dec: (o, h) => `${helper(h, r)}.decode(b, ${o}, ${o} + ${r.fixedSize})`,
    enc: (o, v, h) => `${helper(h, r)}.encode(b, ${o}, ${v}, ${r.fixedSize});`,
    zero: () => r.zero(),
  };
}

// ---- tails ----------------------------------------------------------------------------------------

/** The rest of the record as raw bytes (a view into the input). */
export const rest: Tail<Buffer> = {
  decode(b, start, end) {
    cursor.pos = end;
    return b.subarray(start, end);
  },
  size: (v) => v.length,
  encode(b, o, v) {
    v.copy(b, o);
  },
  zero: () => Buffer.alloc(0),
};

/** A list of fixed-size records running to the end of the enclosing record. */
export function arrayOf<T>(r: Record_<T>): Tail<T[]> {
  if (!r.isFixed) throw new Error(`${r.name} is not fixed-size`);
  const n = r.fixedSize;
  return {
    decode(b, start, end) {
      if ((end - start) % n !== 0)
        throw badLen(`${r.name}[]: ${end - start} bytes is not a multiple of ${n}`);
      const out: T[] = [];
      for (let p = start; p < end; p += n) out.push(r.decode(b, p, p + n));
      cursor.pos = end;
      return out;
    },
    size: (v) => v.length * n,
    encode(b, o, v) {
      for (const e of v) o = r.encode(b, o, e);
    },
    zero: () => [],
  };
}

/**
 * A list of variable-size records, each starting with a length field at `lenOffset` (its own total
 * size), running to the end of the enclosing record.
 */
export function listOf<T>(
  r: Record_<T>,
  lenOffset: number,
  err: (detail: string) => OfpDecodeError = badLen,
): Tail<T[]> {
  return {
    decode(b, start, end) {
      const out: T[] = [];
      let p = start;
      while (p < end) {
        if (end - p < lenOffset + 2) throw err(`${r.name}: ${end - p} bytes left, too short for a length`);
        const len = (b[p + lenOffset]! << 8) | b[p + lenOffset + 1]!;
        if (len < r.fixedSize || p + len > end)
          throw err(`${r.name}: bad length ${len} with ${end - p} bytes left`);
        out.push(r.decode(b, p, p + len));
        p += len;
      }
      cursor.pos = end;
      return out;
    },
    size(v) {
      let s = 0;
      for (const e of v) s += r.size(e);
      return s;
    },
    encode(b, o, v) {
      for (const e of v) o = r.encode(b, o, e);
    },
    zero: () => [],
  };
}
