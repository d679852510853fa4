/*
 * OFPT_QUEUE_GET_CONFIG_REPLY as ovs-ofctl prints it (ofputil_queue_get_config_reply_format()):
 * the port once (unless it is 0), then one `queue N:` line per queue, sorted by queue id, with its
 * rates in percent. OVS decodes queues until the first malformed one and prints the queues it
 * collected before reporting the error.
 */
import { OFPBRC, OFPET, OFPQT } from '../constants.js';
import type { QueueGetConfigReply } from '../messages.js';
import type { OfpPacketQueue } from '../queues.js';
import { OvsDecodeError } from './message-format.js';
import { formatPort } from './ports.js';

/** OFPQT_MAX_RATE: an OpenFlow 1.2 property OVS also reads in 1.0 replies; our codec keeps it raw. */
const OFPQT_MAX_RATE = 2;

/** A rate in tenths of a percent: `50.0%`, `(disabled)` above 100%, nothing when absent. */
function rate(name: string, r: number | undefined): string {
  if (r === undefined || r === 0xffff) return '';
  if (r <= 1000) return ` ${name}:${Math.floor(r / 10)}.${r % 10}%`;
  return ` ${name}:(disabled)`;
}

/** The queue's `queue N: …` line, or undefined when OVS would reject its properties. */
function queueLine(q: OfpPacketQueue): string | undefined {
  let min: number | undefined;
  let max: number | undefined;
  let qlen = 8;
  for (const p of q.properties) {
    const plen = 'rate' in p ? 16 : 8 + p.data.length;
    if (plen % 8) return undefined;
    qlen += plen;
    if ('rate' in p && p.property === OFPQT.MIN_RATE) min = p.rate;
    else if ('data' in p && p.property === OFPQT_MAX_RATE) {
      if (p.data.length !== 8) return undefined;
      max = p.data.readUInt16BE(0);
    }
  }
  if (qlen % 8) return undefined;
  return `queue ${q.queue_id}:${rate('min_rate', min)}${rate('max_rate', max)}\n`;
}

export function formatQueueConfigReply(m: QueueGetConfigReply): string {
  const good: [number, string][] = [];
  let bad = false;
  for (const q of m.queues) {
    const line = queueLine(q);
    if (line === undefined) {
      bad = true;
      break;
    }
    good.push([q.queue_id, line]);
  }
  good.sort((a, b) => a[0] - b[0]);
  const s = good.length
    ? ' ' + (m.port !== 0 ? `port=${formatPort(m.port)}\n` : '') + good.map(([, l]) => l).join('')
    : '';
  if (bad) throw new OvsDecodeError(OFPET.BAD_REQUEST, OFPBRC.BAD_LEN, undefined, s);
  return s;
}
