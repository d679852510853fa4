/*
 * Differential test against ovs-ofctl on generated flows: random combinations of match fields,
 * shorthands, flow-mod keywords and actions, with values drawn from valid, odd (hex, octal,
 * negative, oversized, masked) and broken forms. For each flow:
 * - ovs-ofctl accepts it as a plain OpenFlow 1.0 flow mod → we print the same text and warnings;
 * - ovs-ofctl accepts it only with NXM / OpenFlow 1.1+ → we reject it, saying OpenFlow 1.0;
 * - ovs-ofctl rejects it → we reject it with the same message.
 * The flows come from a fixed seed, so a failure is reproducible.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeMessage } from '../../src/openflow/codec.js';
import { FlowSyntaxError, parseFlow, parseFlowFile } from '../../src/openflow/flow-syntax/index.js';
import { startTestListener } from '../support/ofp-test-listener.js';
import {
  flowModsReceived,
  haveOvsOfctl,
  ovsParseFlows,
  parseTimeLog,
  run,
  type OvsResult,
} from './flow-syntax-ovs.js';
import { ours } from './flow-syntax-ours.js';

if (!haveOvsOfctl) console.warn('SKIPPING flow-syntax differential test: ovs-ofctl is not installed');

const num = fc.oneof(
  fc.integer({ min: 0, max: 300 }).map(String),
  fc.integer({ min: 0, max: 0xffff }).map(String),
  fc.integer({ min: 0, max: 0xffff }).map((n) => '0x' + n.toString(16)),
  fc.integer({ min: 0, max: 0o777 }).map((n) => '0' + n.toString(8)),
  fc.constantFrom(
    '-1',
    '0',
    '65535',
    '65536',
    '4294967295',
    '0x',
    '08',
    '1x',
    'zz',
    '',
    '*',
    '0x10000',
    '+5',
  ),
);
const ip = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })).map((p) => p.join('.')),
  fc.constantFrom('1.2.3', '256.0.0.1', '01.2.3.4', '1.2.3.4.5', 'x', '*', ''),
); // prettier-ignore
const ipMasked = fc.oneof(
  ip,
  fc.tuple(ip, fc.integer({ min: -1, max: 33 })).map(([a, p]) => `${a}/${p}`),
  fc.tuple(ip, ip).map(([a, m]) => `${a}/${m}`),
  fc
    .tuple(ip, fc.constantFrom('255.255.255.0', '255.0.0.0', '0.0.0.0', '255.255.0.255'))
    .map(([a, m]) => `${a}/${m}`),
);
const macPart = fc.integer({ min: 0, max: 0x1ff }).map((n) => n.toString(16));
const mac = fc.oneof(
  fc.array(macPart, { minLength: 6, maxLength: 6 }).map((p) => p.join(':')),
  fc.constantFrom(
    '1:2:3',
    '00:00:00:00:00:01/ff:ff:ff:ff:ff:ff',
    '01:00:00:00:00:00/01:00:00:00:00:00',
    'zz',
    '*',
    '',
  ),
);
const port = fc.oneof(
  fc.integer({ min: 0, max: 70000 }).map(String),
  fc.constantFrom('LOCAL', 'local', 'IN_PORT', 'CONTROLLER', 'NONE', 'ANY', 'TABLE', 'NORMAL', 'FLOOD', 'ALL', 'UNSET', 'x', '65534', '65280', '-1', '4294967294'),
); // prettier-ignore

const matchItem: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('ip', 'ipv4', 'arp', 'rarp', 'icmp', 'tcp', 'udp', 'sctp', 'ipv6', 'mpls', 'eth', 'tcp6', 'send_flow_rem', 'check_overlap'),
  port.map((p) => `in_port=${p}`),
  fc.tuple(fc.constantFrom('dl_src', 'dl_dst', 'eth_src'), mac).map(([k, v]) => `${k}=${v}`),
  fc.tuple(fc.constantFrom('dl_vlan', 'dl_vlan_pcp', 'vlan_tci', 'vlan_vid', 'vlan_pcp', 'dl_type', 'nw_proto', 'arp_op', 'nw_tos', 'ip_dscp', 'tp_src', 'tp_dst', 'udp_src', 'icmp_type', 'icmp_code', 'priority', 'idle_timeout', 'hard_timeout', 'cookie', 'table'), num).map(([k, v]) => `${k}=${v}`),
  fc.tuple(fc.constantFrom('nw_src', 'nw_dst', 'arp_spa', 'ip_dst'), ipMasked).map(([k, v]) => `${k}=${v}`),
  fc.tuple(fc.constantFrom('dl_vlan', 'tp_dst', 'vlan_tci', 'nw_proto'), num, num).map(([k, v, m]) => `${k}=${v}/${m}`),
); // prettier-ignore

const actionItem: fc.Arbitrary<string> = fc.oneof(
  port.map((p) => `output:${p}`),
  port,
  fc.constantFrom('drop', 'strip_vlan', 'controller', 'normal', 'flood', 'in_port', 'pop_vlan', 'controller()'),
  num.map((n) => `controller:${n}`),
  num.map((n) => `controller(max_len=${n})`),
  fc.tuple(fc.constantFrom('mod_vlan_vid', 'set_vlan_vid', 'mod_vlan_pcp', 'set_vlan_pcp', 'mod_nw_tos', 'mod_tp_src', 'mod_tp_dst'), num).map(([k, v]) => `${k}:${v}`),
  fc.tuple(fc.constantFrom('mod_dl_src', 'mod_dl_dst'), mac).map(([k, v]) => `${k}:${v}`),
  fc.tuple(fc.constantFrom('mod_nw_src', 'mod_nw_dst'), ip).map(([k, v]) => `${k}:${v}`),
  fc.tuple(port, num).map(([p, q]) => `enqueue:${p}:${q}`),
  fc.tuple(port, num).map(([p, q]) => `enqueue(${p},${q})`),
); // prettier-ignore

/** Well-formed pieces, so that a good share of the flows is accepted and compared byte for byte. */
const validPort = fc.oneof(
  fc.integer({ min: 0, max: 0xfeff }).map(String),
  fc.constantFrom('LOCAL', 'IN_PORT', 'CONTROLLER', 'normal'),
);
const validIp = fc
  .tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }))
  .map(
    ([a, p]) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}` + (p === 32 ? '' : `/${p}`),
  );
const validMac = fc
  .array(
    fc.integer({ min: 0, max: 255 }).map((n) => n.toString(16)),
    { minLength: 6, maxLength: 6 },
  )
  .map((p) => p.join(':'));
const int = (max: number) => fc.integer({ min: 0, max }).map(String);
const validMatchItem: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('ip', 'arp', 'rarp', 'icmp', 'tcp', 'udp', 'sctp', 'ipv6', 'send_flow_rem', 'check_overlap'),
  validPort.map((p) => `in_port=${p}`),
  fc.tuple(fc.constantFrom('dl_src', 'dl_dst'), validMac).map(([k, v]) => `${k}=${v}`),
  fc.tuple(fc.constantFrom('dl_vlan', 'vlan_vid'), fc.oneof(int(4095), fc.constant('0xffff'))).map(([k, v]) => `${k}=${v}`),
  fc.tuple(fc.constantFrom('dl_vlan_pcp', 'vlan_pcp'), int(7)).map(([k, v]) => `${k}=${v}`),
  fc.tuple(fc.constantFrom('nw_src', 'nw_dst'), validIp).map(([k, v]) => `${k}=${v}`),
  fc.tuple(fc.constantFrom('nw_proto', 'nw_tos', 'icmp_type', 'icmp_code'), int(255)).map(([k, v]) => `${k}=${v}`),
  fc.tuple(fc.constantFrom('tp_src', 'tp_dst', 'priority', 'idle_timeout', 'hard_timeout', 'dl_type'), int(0xffff)).map(([k, v]) => `${k}=${v}`),
  int(0xffffff).map((c) => `cookie=${c}`),
); // prettier-ignore
const validActionItem: fc.Arbitrary<string> = fc.oneof(
  validPort.map((p) => `output:${p}`),
  fc.constantFrom('strip_vlan', 'controller', 'flood', 'all', 'local', 'in_port'),
  int(0xffff).map((n) => `controller:${n}`),
  int(4095).map((n) => `mod_vlan_vid:${n}`),
  int(7).map((n) => `mod_vlan_pcp:${n}`),
  int(63).map((n) => `mod_nw_tos:${Number(n) * 4}`),
  fc.tuple(fc.constantFrom('mod_tp_src', 'mod_tp_dst'), int(0xffff)).map(([k, v]) => `${k}:${v}`),
  fc.tuple(fc.constantFrom('mod_dl_src', 'mod_dl_dst'), validMac).map(([k, v]) => `${k}:${v}`),
  fc.tuple(fc.constantFrom('mod_nw_src', 'mod_nw_dst'), validIp.map((a) => a.replace(/\/.*/, ''))).map(([k, v]) => `${k}:${v}`),
  fc.tuple(int(0xfeff), int(0xffffffff)).map(([p, q]) => `enqueue:${p}:${q}`),
); // prettier-ignore

const flowOf = (m: fc.Arbitrary<string>, a: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.array(m, { maxLength: 6 }),
      fc.array(a, { maxLength: 4 }),
      fc.constantFrom(',', ' ', ', '),
      fc.boolean(),
    )
    .map(
      ([ms, as, sep, hasActions]) =>
        ms.join(sep) + (hasActions ? `${ms.length ? sep : ''}actions=${as.join(',')}` : ''),
    );

const flow: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: flowOf(matchItem, actionItem), weight: 1 },
  {
    arbitrary: flowOf(validMatchItem, validActionItem).map((f) =>
      f.includes('actions=') ? f : f + ',actions=drop',
    ),
    weight: 1,
  },
);

const FLOWS = fc.sample(flow, { numRuns: 800, seed: 20261123 });

/** Lines of an add-flows file with command keywords: modify(_strict) with actions, delete(_strict) without. */
const matchOnlyItem = validMatchItem.filter(
  (i) => !/^(send_flow_rem|check_overlap|priority|idle_timeout|hard_timeout|cookie)/.test(i),
);
const commandLine: fc.Arbitrary<string> = fc.oneof(
  flowOf(validMatchItem, validActionItem).map(
    (f) => 'modify ' + (f.includes('actions=') ? f : f + ',actions=drop'),
  ),
  flowOf(validMatchItem, validActionItem).map(
    (f) => 'modify_strict ' + (f.includes('actions=') ? f : f + ',actions=drop'),
  ),
  fc
    .tuple(fc.array(matchOnlyItem, { maxLength: 5 }), fc.option(validPort))
    .map(([m, o]) => 'delete ' + [...m, ...(o === null ? [] : [`out_port=${o}`])].join(',')),
  fc
    .tuple(fc.array(matchOnlyItem, { maxLength: 5 }), fc.option(validPort), int(0xffff))
    .map(
      ([m, o, pr]) =>
        'delete_strict ' + [...m, `priority=${pr}`, ...(o === null ? [] : [`out_port=${o}`])].join(','),
    ),
);
const COMMAND_LINES = fc.sample(commandLine, { numRuns: 300, seed: 1123 });

function accepts(line: string): boolean {
  try {
    parseFlow(line, { command: 'from-text' });
    return true;
  } catch (e) {
    if (e instanceof FlowSyntaxError) return false;
    throw e;
  }
}

describe.skipIf(!haveOvsOfctl)('flow syntax differential test against ovs-ofctl', () => {
  let refs: OvsResult[];
  beforeAll(async () => {
    refs = await ovsParseFlows(FLOWS);
  });

  it('agrees with ovs-ofctl on every generated flow', () => {
    const diffs: string[] = [];
    const seen = { plain: 0, extension: 0, rejected: 0 };
    FLOWS.forEach((f, i) => {
      const ref = refs[i]!;
      const r = ours(f);
      const refErr = ref.stderr.find((l) => l.startsWith('ovs-ofctl: '))?.slice('ovs-ofctl: '.length);
      if (ref.rc === 0 && ref.stdout.includes('chosen protocol: OpenFlow10-table_id\nOFPT_FLOW_MOD')) {
        seen.plain++;
        if ('error' in r) diffs.push(`${f}\n  ofdp rejected: ${r.error}\n  ovs: ${ref.stdout}`);
        else if (r.text !== ref.stdout) diffs.push(`${f}\n  ofdp: ${r.text}  ovs:  ${ref.stdout}`);
        else if (JSON.stringify(r.warnings) !== JSON.stringify(parseTimeLog(ref)))
          diffs.push(
            `${f}\n  ofdp warnings: ${JSON.stringify(r.warnings)}\n  ovs:  ${JSON.stringify(parseTimeLog(ref))}`,
          );
      } else if (ref.rc === 0 || refErr === 'no usable protocol') {
        seen.extension++;
        if (!('error' in r) || !/OpenFlow 1\.0/.test(r.error))
          diffs.push(`${f}\n  ofdp: ${JSON.stringify(r)}\n  ovs (not plain OF1.0): ${ref.stdout}`);
      } else {
        seen.rejected++;
        if (!('error' in r) || r.error !== refErr)
          diffs.push(`${f}\n  ofdp: ${JSON.stringify(r)}\n  ovs:  ${refErr}`);
      }
    });
    expect(diffs).toEqual([]);
    // The generator reaches all three outcomes in useful numbers.
    expect(seen.plain).toBeGreaterThan(100);
    expect(seen.rejected).toBeGreaterThan(100);
    expect(seen.extension).toBeGreaterThan(10);
  });

  /** Sends `lines` with `ovs-ofctl add-flows` and returns the FLOW_MOD bytes received, xid zeroed. */
  async function viaOvs(lines: readonly string[]): Promise<Buffer[]> {
    const listener = await startTestListener();
    const dir = mkdtempSync(join(tmpdir(), `ofdp-flow-fuzz-${process.pid}-`));
    try {
      const file = join(dir, 'flows');
      writeFileSync(file, lines.join('\n') + '\n');
      const r = await run(['-O', 'OpenFlow10', '--no-names', '-t', '20', 'add-flows', listener.target, file]);
      expect(r.rc, r.stderr.join('\n')).toBe(0);
      return flowModsReceived(listener);
    } finally {
      await listener.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('builds the bytes ovs-ofctl sends for every generated flow it accepts as OpenFlow 1.0', async () => {
    const accepted = FLOWS.filter(
      (_, i) =>
        refs[i]!.rc === 0 && refs[i]!.stdout.includes('chosen protocol: OpenFlow10-table_id\nOFPT_FLOW_MOD'),
    );
    const got = await viaOvs(accepted);
    expect(got.length).toBe(accepted.length);
    const diffs = accepted.filter(
      (f, i) => !encodeMessage({ ...parseFlow(f).flowMod, xid: 0 }).equals(got[i]!),
    );
    expect(diffs).toEqual([]);
  });

  it('builds the bytes ovs-ofctl sends for generated modify and delete lines', async () => {
    // Lines that need NXM (e.g. ipv6 with nw_proto) are left out: ofdp rejects them, and ovs-ofctl
    // would refuse the whole file against a plain OpenFlow 1.0 switch. If ofdp accepted a line that
    // needs NXM, ovs-ofctl's refusal would fail this test.
    const lines = COMMAND_LINES.filter(accepts);
    expect(lines.length).toBeGreaterThan(200);
    const got = await viaOvs(lines);
    const mine = parseFlowFile(lines.join('\n'), { command: 'from-text' }).flows;
    expect(got.length).toBe(mine.length);
    const diffs = lines.filter((_, i) => !encodeMessage({ ...mine[i]!.flowMod, xid: 0 }).equals(got[i]!));
    expect(diffs).toEqual([]);
  });
});
