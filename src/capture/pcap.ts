/*
 * Classic libpcap file reader (not pcapng): both byte orders, microsecond and nanosecond magic.
 * Yields each record's timestamp and captured bytes (views into the file buffer, which the caller
 * owns). Only the link types the TCP reader understands matter to it: Ethernet (1) and Linux
 * cooked capture (113); others are passed through for the caller to skip.
 */

export interface PcapRecord {
  /** Capture time in microseconds since the epoch. */
  timeUs: number;
  /** Captured bytes (may be shorter than the original packet). */
  data: Buffer;
  /** Original length on the wire. */
  origLen: number;
}

export interface PcapFile {
  linkType: number;
  records: PcapRecord[];
}

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_LINUX_SLL = 113;

export class PcapFormatError extends Error {
  override name = 'PcapFormatError';
}

/** Parses a whole classic pcap file. A record cut short by the file's end ends the list. */
export function readPcap(buf: Buffer): PcapFile {
  if (buf.length < 24) throw new PcapFormatError('file too short for a pcap header');
  const magicLE = buf.readUInt32LE(0);
  let le: boolean;
  let nano: boolean;
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) {
    le = true;
    nano = magicLE === 0xa1b23c4d;
  } else if (buf.readUInt32BE(0) === 0xa1b2c3d4 || buf.readUInt32BE(0) === 0xa1b23c4d) {
    le = false;
    nano = buf.readUInt32BE(0) === 0xa1b23c4d;
  } else if (buf.readUInt32BE(0) === 0x0a0d0d0a) {
    throw new PcapFormatError('pcapng is not supported; convert with `editcap -F pcap`');
  } else throw new PcapFormatError('not a pcap file (bad magic)');
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20) & 0x0fffffff;
  const records: PcapRecord[] = [];
  let p = 24;
  while (p + 16 <= buf.length) {
    const sec = u32(p);
    const frac = u32(p + 4);
    const inclLen = u32(p + 8);
    const origLen = u32(p + 12);
    p += 16;
    if (p + inclLen > buf.length) break;
    records.push({
      timeUs: sec * 1e6 + (nano ? Math.floor(frac / 1000) : frac),
      data: buf.subarray(p, p + inclLen),
      origLen,
    });
    p += inclLen;
  }
  return { linkType, records };
}
