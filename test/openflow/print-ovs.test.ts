/*
 * Cross-check of the printer against `ovs-ofctl ofp-print`: every crafted vector (print-vectors.ts),
 * some at every verbosity, and as properties random valid messages encoded by our codec, mutated
 * messages and random bodies must print the same text under both. ovs-ofctl runs once per message (it prints one message per invocation); a few hundred runs
 * take about a second.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { printBytes, printMessage } from '../../src/openflow/print/index.js';
import { decodeMessage, encodeMessage } from '../../src/openflow/codec.js';
import { message } from '../support/arbitraries.js';
import { vectors } from './print-vectors.js';

const ovsOfctl = spawnSync('ovs-ofctl', ['--version']).status === 0;
if (!ovsOfctl)
  console.warn('\n*** ovs-ofctl is not installed: SKIPPING the ovs-ofctl ofp-print cross-checks ***\n');

/** What `ovs-ofctl ofp-print HEX [VERBOSITY]` writes on stdout (its warnings go to stderr). */
export function ovsPrint(bytes: Buffer, verbosity?: number): string {
  const args = ['ofp-print', bytes.toString('hex'), ...(verbosity === undefined ? [] : [String(verbosity)])];
  return execFileSync('ovs-ofctl', args, { encoding: 'latin1', stdio: ['ignore', 'pipe', 'ignore'] });
}

/** Vectors whose text depends on the verbosity (packet decoding, payload and message dumps). */
const VERBOSE =
  /^(packet_in udp|packet_in arp|packet out$|echo reply payload|stats port reply|stats queue reply$|hello bad element|flow mod match|flow mod command|flow removed|stats flow reply$|error truncated inner|bad type|nxt packet in2)/;

/**
 * Where our output differs from ovs-ofctl on purpose, with the reason. Each entry pins both texts,
 * so a change on either side shows up here.
 */
const KNOWN_DIFFERENCES: readonly { name: string; reason: string; hex: string; ours: string; ovs: string }[] =
  [
    {
      name: 'Nicira vendor action',
      reason:
        'OVS decodes Nicira actions (here NXAST_RESUBMIT) into its own syntax; the OpenFlow 1.0 codec keeps vendor actions opaque, so they print as vendor id and body',
      hex: '010e005800000005003fffff00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000064ffffffffffff0000ffff0010000023200001000300000000',
      ours: 'OFPT_FLOW_MOD (xid=0x5): ADD priority=100 actions=vendor:0x2320:0001000300000000\n',
      ovs: 'OFPT_FLOW_MOD (xid=0x5): ADD priority=100 actions=resubmit:3\n',
    },
    {
      name: 'OpenFlow 1.3 message',
      reason:
        'OVS decodes every OpenFlow version; ofdp is OpenFlow 1.0 only and prints only HELLO, ERROR, ECHO, FEATURES_REQUEST and GET_CONFIG_REQUEST (laid out alike in all versions) in other versions',
      hex: '0412001000000005000d000000000000',
      ours: '***decode error: OFPBRC_BAD_VERSION***\n00000000  04 12 00 10 00 00 00 05-00 0d 00 00 00 00 00 00 |................|\n',
      ovs: 'OFPST_PORT_DESC request (OF1.3) (xid=0x5): port=ANY\n',
    },
  ];

describe.skipIf(!ovsOfctl)('printer vs ovs-ofctl ofp-print', () => {
  it.each(KNOWN_DIFFERENCES.map((d) => [d.name, d] as const))('known difference: %s', (_name, d) => {
    const bytes = Buffer.from(d.hex, 'hex');
    expect(printBytes(bytes), d.reason).toBe(d.ours);
    expect(ovsPrint(bytes), d.reason).toBe(d.ovs);
  });

  const all = vectors();

  it('covers a broad table of crafted vectors', () => {
    expect(all.length).toBeGreaterThan(150);
  });

  it.each(all.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    expect(printBytes(v.bytes)).toBe(ovsPrint(v.bytes));
  });

  it.each(
    all.filter((v) => VERBOSE.test(v.name)).flatMap((v) => [0, 1, 3, 5].map((n) => [v.name, n, v] as const)),
  )('%s at verbosity %i', (_name, n, v) => {
    expect(printBytes(v.bytes, { verbosity: n })).toBe(ovsPrint(v.bytes, n));
  });

  it('prints random valid messages as ovs-ofctl does (printMessage and printBytes)', () => {
    fc.assert(
      fc.property(message, (msg) => {
        const bytes = encodeMessage(msg);
        const expected = ovsPrint(bytes);
        expect(printBytes(bytes)).toBe(expected);
        expect(printMessage(decodeMessage(bytes))).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('prints mutated messages (one byte changed, truncated or extended) as ovs-ofctl does', () => {
    const mutated = fc
      .tuple(message, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: -3, max: 3 }))
      .map(([msg, pos, val, cut]) => {
        const b = Buffer.from(encodeMessage(msg));
        // Change one body byte; sometimes also cut or extend the buffer (the header is kept).
        if (b.length > 8) b[8 + (pos % (b.length - 8))] = val;
        if (cut < 0) return b.subarray(0, Math.max(0, b.length + cut * 4));
        if (cut === 3) return Buffer.concat([b, Buffer.alloc(4)]);
        return b;
      });
    fc.assert(
      fc.property(mutated, (bytes) => {
        expect(printBytes(bytes)).toBe(ovsPrint(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('prints random bytes behind an OpenFlow 1.0 header as ovs-ofctl does', () => {
    const raw = fc
      .tuple(fc.integer({ min: 0, max: 24 }), fc.uint8Array({ maxLength: 120 }), fc.nat())
      .map(([type, body, xid]) => {
        const b = Buffer.alloc(8 + body.length);
        b[0] = 1;
        b[1] = type;
        b.writeUInt16BE(b.length, 2);
        b.writeUInt32BE(xid, 4);
        b.set(body, 8);
        return b;
      });
    fc.assert(
      fc.property(raw, (bytes) => {
        expect(printBytes(bytes)).toBe(ovsPrint(bytes));
      }),
      { numRuns: 300 },
    );
  });
});
