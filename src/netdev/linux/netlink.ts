/*
 * Netlink message framing: building requests and walking replies. Pure functions over Buffers; no
 * sockets here (see netlink-socket.ts), so it is tested with byte vectors and random input.
 *
 * Written against the protocol rather than one kernel: a reader never trusts a length it has not
 * bounds-checked, stops at the first malformed header instead of throwing, and treats unknown or
 * missing attributes as absent. (FreeBSD 13.2+ speaks the same protocol with fewer attributes.)
 */

export const NLMSG_HDRLEN = 16;
export const NLA_HDRLEN = 4;

export const NLMSG = { NOOP: 1, ERROR: 2, DONE: 3, OVERRUN: 4 } as const;

export const NLM_F = {
  REQUEST: 0x1,
  MULTI: 0x2,
  ACK: 0x4,
  ECHO: 0x8,
  DUMP_INTR: 0x10,
  DUMP_FILTERED: 0x20,
  ROOT: 0x100,
  MATCH: 0x200,
  DUMP: 0x300,
  REPLACE: 0x100,
  EXCL: 0x200,
  CREATE: 0x400,
  APPEND: 0x800,
} as const;

/** Attribute type bits that are flags, not part of the type. */
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

export const nlAlign = (n: number): number => (n + 3) & ~3;

/** One message inside a receive buffer: payload is buf[off, end). Valid until the buffer is reused. */
export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  buf: Buffer;
  off: number;
  end: number;
}

/** Builds one request: header, fixed family header, then attributes. */
export class NlBuilder {
  private buf = Buffer.alloc(256);
  private len = NLMSG_HDRLEN;

  constructor(
    private readonly type: number,
    private readonly flags: number,
  ) {}

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const b = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(b, 0, 0, this.len);
    this.buf = b;
  }

  /** Appends raw bytes (the family header), padded to 4. */
  raw(data: Buffer): this {
    const n = nlAlign(data.length);
    this.room(n);
    data.copy(this.buf, this.len);
    this.buf.fill(0, this.len + data.length, this.len + n);
    this.len += n;
    return this;
  }

  attr(type: number, data: Buffer): this {
    const n = nlAlign(NLA_HDRLEN + data.length);
    this.room(n);
    this.buf.writeUInt16LE(NLA_HDRLEN + data.length, this.len);
    this.buf.writeUInt16LE(type, this.len + 2);
    data.copy(this.buf, this.len + NLA_HDRLEN);
    this.buf.fill(0, this.len + NLA_HDRLEN + data.length, this.len + n);
    this.len += n;
    return this;
  }

  u32(type: number, v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.attr(type, b);
  }

  u8(type: number, v: number): this {
    return this.attr(type, Buffer.from([v & 0xff]));
  }

  str(type: number, s: string): this {
    return this.attr(type, Buffer.concat([Buffer.from(s, 'utf8'), Buffer.alloc(1)]));
  }

  /** The finished message with `seq` in its header (pid 0: the kernel fills in ours). */
  finish(seq: number): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.len));
    out.writeUInt32LE(this.len, 0);
    out.writeUInt16LE(this.type, 4);
    out.writeUInt16LE(this.flags, 6);
    out.writeUInt32LE(seq >>> 0, 8);
    out.writeUInt32LE(0, 12);
    return out;
  }
}

/**
 * Walks the messages in buf[0, len). Stops (without throwing) at a header whose length is short or
 * runs past the end, as the kernel's own NLMSG_OK does.
 */
export function parseMessages(buf: Buffer, len: number): NlMessage[] {
  const out: NlMessage[] = [];
  let off = 0;
  const end = Math.min(len, buf.length);
  while (off + NLMSG_HDRLEN <= end) {
    const mlen = buf.readUInt32LE(off);
    if (mlen < NLMSG_HDRLEN || off + mlen > end) break;
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      pid: buf.readUInt32LE(off + 12),
      buf,
      off: off + NLMSG_HDRLEN,
      end: off + mlen,
    });
    off += nlAlign(mlen);
  }
  return out;
}

/** Attribute type → [offset, length] of its payload. A repeated type keeps its first occurrence. */
export type NlAttrs = Map<number, [number, number]>;

/** Parses the attributes in buf[off, end); a malformed attribute ends the list. */
export function parseAttrs(buf: Buffer, off: number, end: number): NlAttrs {
  const attrs: NlAttrs = new Map();
  end = Math.min(end, buf.length);
  while (off + NLA_HDRLEN <= end) {
    const alen = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (alen < NLA_HDRLEN || off + alen > end) break;
    if (!attrs.has(type)) attrs.set(type, [off + NLA_HDRLEN, alen - NLA_HDRLEN]);
    off += nlAlign(alen);
  }
  return attrs;
}

/** The errno (positive) in an NLMSG_ERROR payload; 0 is an acknowledgement. Malformed → EPROTO (71). */
export function errorCode(m: NlMessage): number {
  if (m.end - m.off < 4) return 71;
  return -m.buf.readInt32LE(m.off);
}

export function attrU32(buf: Buffer, attrs: NlAttrs, type: number): number | undefined {
  const a = attrs.get(type);
  return a && a[1] >= 4 ? buf.readUInt32LE(a[0]) : undefined;
}

export function attrU8(buf: Buffer, attrs: NlAttrs, type: number): number | undefined {
  const a = attrs.get(type);
  return a && a[1] >= 1 ? buf[a[0]] : undefined;
}

export function attrStr(buf: Buffer, attrs: NlAttrs, type: number): string | undefined {
  const a = attrs.get(type);
  if (!a) return undefined;
  const s = buf.subarray(a[0], a[0] + a[1]);
  const nul = s.indexOf(0);
  return s.subarray(0, nul < 0 ? s.length : nul).toString('utf8');
}

export function attrBytes(buf: Buffer, attrs: NlAttrs, type: number): Buffer | undefined {
  const a = attrs.get(type);
  return a ? Buffer.from(buf.subarray(a[0], a[0] + a[1])) : undefined;
}
