/*
 * Real OpenFlow sessions (test/data/captures: Open vSwitch, ovs-ofctl, ovs-testcontroller, os-ken;
 * see ../shared/docs/clients.md) through our pcap reader, TCP reassembly, codec and printer:
 * - every OpenFlow message decodes and re-encodes to the identical bytes;
 * - the text equals, byte for byte, what `ovs-ofctl ofp-parse-pcap FILE PORT` prints, run here on
 *   the same file. That includes the Nicira messages ovs-ofctl and Open vSwitch exchange (NXM flow
 *   mods and flow stats, packet-in2, flow monitors, group features…), which the printer decodes
 *   from the codec's opaque vendor payloads.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capturedMessages, parsePcapText } from '../../src/capture/parse-pcap.js';
import { decodeMessage, encodeMessage } from '../../src/openflow/codec.js';

const DIR = join(import.meta.dirname, '../data/captures');
/** The OpenFlow listener port of each capture (from its summary in ../shared/captures). */
const PORTS: Readonly<Record<string, number>> = {
  'ofctl-hello-bitmap-stub.pcap': 26662,
  'ofctl-hello-late-stub.pcap': 26662,
  'ofctl-hello-plain-stub.pcap': 26662,
  'ofctl-noO-vs-ovs.pcap': 26653,
  'ofctl-of10-misc-vs-ovs.pcap': 26653,
  'ofctl-of10-monitor-vs-ovs.pcap': 26653,
  'ofctl-of10-vs-ovs.pcap': 26653,
  'ofctl-of10-vs-plain-stub.pcap': 26660,
  'ofctl-of10-vs-stub-ignoring-vendor.pcap': 26661,
  'ofctl-vs-stub-sending-async-xid0.pcap': 26665,
  'osken-hello-variants-with-stub.pcap': 26643,
  'osken-test_add_flow_v10-active-to-ovs-ptcp.pcap': 26653,
  'osken-test_add_flow_v10-with-ovs.pcap': 26640,
  'osken-test_add_flow_v10-with-plain-stub.pcap': 26642,
  'osken-test_add_flow_v10-with-stub-erroring-on-delete-buffer_id.pcap': 26642,
  'testcontroller-active-to-ovs-ptcp.pcap': 26653,
  'testcontroller-ptcp-with-ovs.pcap': 26633,
  'testcontroller-ptcp-with-stub-buffered.pcap': 26634,
};

const ovsOfctl = spawnSync('ovs-ofctl', ['--version']).status === 0;
if (!ovsOfctl)
  console.warn(
    '\n*** ovs-ofctl is not installed: SKIPPING the ofp-parse-pcap comparison of the captures ***\n',
  );

/** Splits ofp-parse-pcap text into one block per message (each starts with `SRC.p > DST.p:`). */
function blocks(text: string): string[] {
  return text.split(/\n(?=\d+\.\d+\.\d+\.\d+\.\d+ > \d+\.\d+\.\d+\.\d+\.\d+:\n)/);
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.pcap'));

describe('captured sessions', () => {
  it('has every capture and its port', () => {
    expect(files.sort()).toEqual(Object.keys(PORTS).sort());
  });

  it.each(files)('%s: every message decodes and re-encodes byte-identical', (f) => {
    let n = 0;
    for (const m of capturedMessages(readFileSync(join(DIR, f)), [PORTS[f]!])) {
      expect(encodeMessage(decodeMessage(m.bytes)).equals(m.bytes), m.bytes.toString('hex')).toBe(true);
      n++;
    }
    expect(n).toBeGreaterThan(0);
  });

  it.skipIf(!ovsOfctl).each(files)('%s: prints what ovs-ofctl ofp-parse-pcap prints', (f) => {
    const path = join(DIR, f);
    const port = String(PORTS[f]);
    const theirs = execFileSync('ovs-ofctl', ['ofp-parse-pcap', path, port], {
      encoding: 'latin1',
      maxBuffer: 1 << 28,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const ours = parsePcapText(readFileSync(path), [PORTS[f]!]);
    const a = blocks(ours);
    const b = blocks(theirs);
    // Message by message first, for a readable failure; then the whole text.
    expect(a.length).toBe(b.length);
    for (let i = 0; i < b.length; i++) expect(a[i], `message ${i} of ${f}`).toBe(b[i]);
    expect(ours).toBe(theirs);
  });
});
