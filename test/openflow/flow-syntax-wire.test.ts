/*
 * Cross-check of the flow-syntax parser on the wire: the FLOW_MOD bytes we build for a flow must be
 * the bytes ovs-ofctl sends for it (add-flows, mod-flows [--strict], del-flows [--strict], with and
 * without port names) to a plain OpenFlow 1.0 listener. xids differ by construction and are
 * compared separately from the rest of the message.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFPST, OFPT } from '../../src/openflow/constants.js';
import { encodeMessage } from '../../src/openflow/codec.js';
import {
  parseFlow,
  parseFlowFile,
  parseFlowMatch,
  portNameMap,
  type FlowCommandName,
  type FlowMod,
} from '../../src/openflow/flow-syntax/index.js';
import { startTestListener, testPort, type TestListener } from '../support/ofp-test-listener.js';
import { GOOD_FLOWS } from './flow-syntax-cases.js';
import { flowModsReceived, haveOvsOfctl, run } from './flow-syntax-ovs.js';
import { flowSyntaxError } from './flow-syntax-ours.js';

if (!haveOvsOfctl)
  console.warn(
    'SKIPPING flow-syntax wire cross-checks: ovs-ofctl is not installed (scripts/install-test-deps.sh)',
  );

const PORTS = [
  testPort(1, 'eth-a'),
  testPort(2, 'eth-b'),
  testPort(7, 'veth 7'),
  testPort(8, 'dup'),
  testPort(9, 'dup'),
];

function bytesOf(fm: FlowMod): Buffer {
  return encodeMessage({ ...fm, xid: 0 });
}

/** Compares ours with what the listener got, flow by flow, listing the differences. */
function compare(flows: readonly string[], oursList: FlowMod[], got: Buffer[]): string[] {
  const diffs: string[] = [];
  expect(got.length).toBe(oursList.length);
  oursList.forEach((fm, i) => {
    const mine = bytesOf(fm);
    if (!mine.equals(got[i]!))
      diffs.push(`${flows[i]}\n  ofdp: ${mine.toString('hex')}\n  ovs:  ${got[i]!.toString('hex')}`);
  });
  return diffs;
}

describe.skipIf(!haveOvsOfctl)('flow syntax vs the FLOW_MODs ovs-ofctl sends', () => {
  let listener: TestListener;
  let dir: string;
  beforeAll(async () => {
    listener = await startTestListener({ ports: PORTS });
    dir = mkdtempSync(join(tmpdir(), `ofdp-flow-wire-${process.pid}-`));
  });
  afterAll(async () => {
    await listener?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function ofctl(...args: string[]): Promise<void> {
    listener.clear();
    const r = await run(['-O', 'OpenFlow10', '-t', '10', ...args]);
    expect(r.rc, `ovs-ofctl ${args.join(' ')}: ${r.stderr.join('\n')}`).toBe(0);
  }

  it('add-flows: every flow of the table', async () => {
    const file = join(dir, 'good.flows');
    writeFileSync(file, GOOD_FLOWS.join('\n') + '\n');
    await ofctl('--no-names', 'add-flows', listener.target, file);
    const got = flowModsReceived(listener);
    expect(
      compare(
        GOOD_FLOWS,
        GOOD_FLOWS.map((f) => parseFlow(f).flowMod),
        got,
      ),
    ).toEqual([]);
    // Each flow mod was followed by a barrier, as ovs-ofctl does.
    expect(listener.messagesOfType(OFPT.BARRIER_REQUEST).length).toBe(GOOD_FLOWS.length);
  });

  it('add-flows: command keywords, comments and blank lines', async () => {
    const text = [
      '# a comment line',
      'add in_port=1,actions=output:2',
      '',
      'modify tcp,tp_dst=80,actions=normal   # trailing comment',
      'modify_strict priority=5,ip,actions=drop',
      'delete in_port=1',
      'delete_strict priority=7,in_port=2',
      'delete out_port=3',
      'delete_strict ip,nw_src=10.0.0.0/8,out_port=LOCAL',
      'modify cookie=0x55,actions=1',
      'modify cookie=5/0,actions=1',
      'modify_strict idle_timeout=5,hard_timeout=6,send_flow_rem,check_overlap,actions=1',
      'delete cookie=7/0',
      '   \t ',
      'm idle_timeout=5,actions=1',
      'd in_port=5',
      'delete_s in_port=5,priority=9',
      'mod priority=1 actions=drop',
      '\tadd\tpriority=3 actions=drop',
      'dl_vlan=3 actions=strip_vlan',
    ].join('\n');
    const file = join(dir, 'commands.flows');
    writeFileSync(file, text);
    await ofctl('--no-names', 'add-flows', listener.target, file);
    const parsed = parseFlowFile(text, { command: 'from-text', fileName: file });
    const lines = text.split('\n').filter((l) => l.replace(/#.*/, '').trim() !== '');
    expect(
      compare(
        lines,
        parsed.flows.map((f) => f.flowMod),
        flowModsReceived(listener),
      ),
    ).toEqual([]);
    expect(parsed.flows.map((f) => f.flowMod.command)).toEqual([
      0, 1, 2, 3, 4, 3, 4, 1, 1, 2, 3, 1, 3, 4, 1, 0, 0,
    ]);
  });

  const single: Array<[string[], FlowCommandName, string]> = [
    [['mod-flows'], 'modify', 'in_port=1,actions=output:3'],
    [['mod-flows'], 'modify', 'tcp,tp_dst=22,cookie=0x99,idle_timeout=9,actions=drop'],
    [
      ['mod-flows', '--strict'],
      'modify_strict',
      'priority=100,udp,nw_dst=10.1.0.0/16,actions=mod_tp_dst:53,output:1',
    ],
    [['del-flows'], 'delete', ''],
    [['del-flows'], 'delete', 'out_port=2,in_port=1'],
    [['del-flows'], 'delete', 'ip,nw_src=192.168.0.0/16'],
    [['del-flows', '--strict'], 'delete_strict', 'priority=5,in_port=1'],
    [['del-flows', '--strict'], 'delete_strict', 'dl_vlan=0xffff,out_port=LOCAL'],
    [['add-flow'], 'add', 'priority=9,arp,arp_op=1,actions=flood'],
  ];
  for (const [cmd, command, flow] of single) {
    it(`${cmd.join(' ')} '${flow}'`, async () => {
      await ofctl('--no-names', ...cmd, listener.target, ...(flow || cmd[0] !== 'del-flows' ? [flow] : []));
      expect(compare([flow], [parseFlow(flow, { command }).flowMod], flowModsReceived(listener))).toEqual([]);
    });
  }

  const named: Array<[string[], FlowCommandName, string]> = [
    [['add-flow'], 'add', 'in_port=eth-a,actions=output:eth-b,enqueue:eth-a:3,eth-b'],
    [['add-flow'], 'add', 'in_port="eth-a",actions=output:"eth-b"'],
    [['add-flow'], 'add', 'in_port=LOCAL,actions=enqueue("eth-b",9)'],
    [['del-flows', '--strict'], 'delete_strict', 'in_port=eth-b,out_port=eth-a'],
    [['mod-flows'], 'modify', 'in_port=2,actions=output:eth-a'],
  ];
  for (const [cmd, command, flow] of named) {
    it(`port names from the features reply: ${cmd.join(' ')} '${flow}'`, async () => {
      await ofctl(...cmd, listener.target, flow);
      // Without --no-names ovs-ofctl fetched the port map on its own connection first.
      expect(listener.messagesOfType(OFPT.FEATURES_REQUEST).length).toBeGreaterThan(0);
      const names = portNameMap(PORTS);
      expect(
        compare([flow], [parseFlow(flow, { command, portNames: names }).flowMod], flowModsReceived(listener)),
      ).toEqual([]);
    });
  }

  const rejected: Array<[string[], FlowCommandName, string]> = [
    [['del-flows'], 'delete', 'priority=5'],
    [['del-flows'], 'delete', 'send_flow_rem'],
    [['del-flows'], 'delete', 'cookie=1'],
    [['del-flows'], 'delete', 'in_port=1,actions=drop'],
    [['del-flows', '--strict'], 'delete_strict', 'idle_timeout=5'],
    [['del-flows', '--strict'], 'delete_strict', 'out_port=zz'],
    [['mod-flows'], 'modify', 'in_port=1'],
    [['mod-flows'], 'modify', 'importance=3,actions=drop'],
    [['mod-flows', '--strict'], 'modify_strict', 'out_port=1,actions=drop'],
  ];
  for (const [cmd, command, flow] of rejected) {
    it(`${cmd.join(' ')} rejects '${flow}' as ovs-ofctl does`, async () => {
      listener.clear();
      const r = await run(['-O', 'OpenFlow10', '-t', '10', '--no-names', ...cmd, listener.target, flow]);
      expect(r.rc).not.toBe(0);
      const refMsg = r.stderr.find((l) => l.startsWith('ovs-ofctl: '))?.slice('ovs-ofctl: '.length);
      expect(flowSyntaxError(() => parseFlow(flow, { command }))).toBe(refMsg);
      expect(listener.messagesOfType(OFPT.FLOW_MOD)).toEqual([]);
    });
  }

  const statsMatches = [
    '',
    'in_port=1,out_port=2',
    'tcp,tp_dst=80',
    'nw_src=10.0.0.1',
    'dl_vlan=0xffff,out_port=LOCAL',
    'arp,arp_op=2',
  ];
  for (const flow of statsMatches) {
    it(`dump-flows '${flow}': parseFlowMatch gives the match and out_port of the flow stats request`, async () => {
      await ofctl('--no-names', 'dump-flows', listener.target, ...(flow ? [flow] : []));
      const reqs = listener.messagesOfType(OFPT.STATS_REQUEST).filter((m) => m.stats_type === OFPST.FLOW);
      expect(reqs.length).toBe(1);
      const body = reqs[0]!.body as { match: unknown; table_id: number; out_port: number };
      const mine = parseFlowMatch(flow);
      expect(body.match).toEqual(mine.match);
      expect(body.out_port).toBe(mine.outPort);
      expect(body.table_id).toBe(0xff);
    });
  }

  const unusable: Array<[string, string]> = [
    ['a port name the switch reports twice', 'in_port=dup,actions=1'],
    ['a quoted name cut at its space by the tokenizer', 'in_port="veth 7",actions=1'],
    ['an unknown name', 'actions=output:eth-z'],
  ];
  for (const [what, flow] of unusable) {
    it(`${what} is rejected by both: ${flow}`, async () => {
      listener.clear();
      const r = await run(['-O', 'OpenFlow10', '-t', '10', 'add-flow', listener.target, flow]);
      expect(r.rc).not.toBe(0);
      const refMsg = r.stderr.find((l) => l.startsWith('ovs-ofctl: '))?.slice('ovs-ofctl: '.length);
      expect(flowSyntaxError(() => parseFlow(flow, { portNames: portNameMap(PORTS) }))).toBe(refMsg);
      expect(listener.messagesOfType(OFPT.FLOW_MOD)).toEqual([]);
    });
  }
});
