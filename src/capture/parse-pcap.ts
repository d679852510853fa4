/*
 * `ovs-ofctl ofp-parse-pcap FILE [PORT…]` for our printer: walks a classic pcap, reassembles the
 * TCP streams to or from the OpenFlow ports, and yields every complete OpenFlow message with its
 * direction. Printing joins them as ovs-ofctl does: `SRC.sport > DST.dport:` before each message,
 * a blank line between messages, the message printed at verbosity 1.
 */
import { ipToString } from '../openflow/match.js';
import { printBytes } from '../openflow/print/print-bytes.js';
import { readPcap } from './pcap.js';
import { parseTcpSegment, TcpReassembler, type ReassemblyPolicy } from './tcp-stream.js';

export interface CapturedMessage {
  srcIp: number;
  srcPort: number;
  dstIp: number;
  dstPort: number;
  timeUs: number;
  /** The message's bytes as its header's length declares them (a copy). */
  bytes: Buffer;
}

/** OVS's defaults when no port is given: OFP_PORT and OFP_OLD_PORT. */
export const DEFAULT_OPENFLOW_PORTS: readonly number[] = [6653, 6633];

export function* capturedMessages(
  pcap: Buffer,
  ports: readonly number[] = DEFAULT_OPENFLOW_PORTS,
  policy: ReassemblyPolicy = 'ovs',
): Generator<CapturedMessage> {
  const { linkType, records } = readPcap(pcap);
  const tcp = new TcpReassembler(policy);
  for (const r of records) {
    const seg = parseTcpSegment(r.data, linkType);
    if (!seg || !(ports.includes(seg.srcPort) || ports.includes(seg.dstPort))) continue;
    const data = tcp.push(seg);
    if (!data) continue;
    let p = 0;
    while (data.length - p >= 8) {
      const len = data.readUInt16BE(p + 2);
      // A length below the header would make ovs-ofctl loop forever; we stop reading this stream.
      if (len < 8 || data.length - p < len) break;
      yield {
        srcIp: seg.srcIp,
        srcPort: seg.srcPort,
        dstIp: seg.dstIp,
        dstPort: seg.dstPort,
        timeUs: r.timeUs,
        bytes: Buffer.from(data.subarray(p, p + len)),
      };
      p += len;
    }
    tcp.consume(seg, p);
  }
}

/** The full text `ovs-ofctl ofp-parse-pcap` prints for a capture. */
export function parsePcapText(
  pcap: Buffer,
  ports: readonly number[] = DEFAULT_OPENFLOW_PORTS,
  policy: ReassemblyPolicy = 'ovs',
): string {
  let out = '';
  let first = true;
  for (const m of capturedMessages(pcap, ports, policy)) {
    if (!first) out += '\n';
    first = false;
    out += `${ipToString(m.srcIp)}.${m.srcPort} > ${ipToString(m.dstIp)}.${m.dstPort}:\n`;
    out += printBytes(m.bytes, { verbosity: 1 });
  }
  return out;
}
