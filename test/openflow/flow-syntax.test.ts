/*
 * Unit tests of the flow-syntax parser that need no reference implementation: the FLOW_MOD fields
 * ovs-ofctl fills in by default, the add-flows file format, stats matches, the CLI commands.
 * (The cross-checks against ovs-ofctl are in flow-syntax-text/-wire.test.ts.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseFlowCommand, parseFlowsCommand } from '../../src/cli/commands/ofctl/parse-flow.js';
import { OFPAT, OFPFC, OFPFW, OFPP, OFPT } from '../../src/openflow/constants.js';
import {
  flowFileLines,
  parseFlow,
  parseFlowFile,
  parseFlowMatch,
  portNameMap,
} from '../../src/openflow/flow-syntax/index.js';
import { matchAll } from '../../src/openflow/match.js';
import { flowSyntaxError } from './flow-syntax-ours.js';

describe('parseFlow', () => {
  it('fills in what ovs-ofctl sends by default', () => {
    const { flowMod, warnings, usableProtocols } = parseFlow('actions=drop');
    expect(flowMod).toEqual({
      type: OFPT.FLOW_MOD,
      xid: 1,
      match: { ...matchAll(), wildcards: 0x3820ff },
      cookie: 0n,
      command: OFPFC.ADD,
      idle_timeout: 0,
      hard_timeout: 0,
      priority: 0x8000,
      buffer_id: 0xffffffff,
      out_port: OFPP.NONE,
      flags: 0,
      actions: [],
    });
    expect(warnings).toEqual([]);
    expect(usableProtocols).toBe('any');
  });

  it('keeps fields without their prerequisites on the wire and warns as ovs-ofctl logs', () => {
    const { flowMod, warnings } = parseFlow('nw_src=10.0.0.1,tp_dst=80,actions=drop', { xid: 7 });
    expect(flowMod.xid).toBe(7);
    expect(flowMod.match.nw_src).toBe(0x0a000001);
    expect(flowMod.match.tp_dst).toBe(80);
    expect(flowMod.match.wildcards & OFPFW.NW_SRC_MASK).toBe(0);
    expect(flowMod.match.wildcards & OFPFW.TP_DST).toBe(0);
    expect(warnings).toEqual([
      'normalization changed ofp_match, details:',
      ' pre: nw_src=10.0.0.1,tp_dst=80',
      'post: ',
    ]);
  });

  it('builds every OpenFlow 1.0 action', () => {
    const { flowMod } = parseFlow(
      'tcp,actions=output:1,controller:64,mod_vlan_vid:5,mod_vlan_pcp:2,strip_vlan,mod_dl_src:00:00:00:00:00:01,' +
        'mod_dl_dst:00:00:00:00:00:02,mod_nw_src:1.2.3.4,mod_nw_dst:5.6.7.8,mod_nw_tos:8,mod_tp_src:10,mod_tp_dst:20,enqueue:3:7',
    );
    expect(flowMod.actions).toEqual([
      { type: OFPAT.OUTPUT, port: 1, max_len: 0 },
      { type: OFPAT.OUTPUT, port: OFPP.CONTROLLER, max_len: 64 },
      { type: OFPAT.SET_VLAN_VID, vlan_vid: 5 },
      { type: OFPAT.SET_VLAN_PCP, vlan_pcp: 2 },
      { type: OFPAT.STRIP_VLAN },
      { type: OFPAT.SET_DL_SRC, dl_addr: 1 },
      { type: OFPAT.SET_DL_DST, dl_addr: 2 },
      { type: OFPAT.SET_NW_SRC, nw_addr: 0x01020304 },
      { type: OFPAT.SET_NW_DST, nw_addr: 0x05060708 },
      { type: OFPAT.SET_NW_TOS, nw_tos: 8 },
      { type: OFPAT.SET_TP_SRC, tp_port: 10 },
      { type: OFPAT.SET_TP_DST, tp_port: 20 },
      { type: OFPAT.ENQUEUE, port: 3, queue_id: 7 },
    ]);
  });

  it('narrows the usable protocols for actions the match does not guarantee', () => {
    expect(parseFlow('actions=mod_tp_src:1').usableProtocols).toBe('OpenFlow10,NXM');
    expect(parseFlow('udp,actions=mod_tp_src:1').usableProtocols).toBe('any');
  });

  it('reads a leading command keyword (or a prefix of one) only when asked to', () => {
    const cmd = (t: string) => parseFlow(t, { command: 'from-text' }).flowMod.command;
    expect(cmd('add actions=drop')).toBe(OFPFC.ADD);
    expect(cmd('modify actions=drop')).toBe(OFPFC.MODIFY);
    expect(cmd('mod actions=drop')).toBe(OFPFC.MODIFY);
    expect(cmd('modify_strict actions=drop')).toBe(OFPFC.MODIFY_STRICT);
    expect(cmd('delete in_port=1')).toBe(OFPFC.DELETE);
    expect(cmd('d in_port=1')).toBe(OFPFC.DELETE);
    expect(cmd('delete_strict in_port=1')).toBe(OFPFC.DELETE_STRICT);
    expect(cmd('in_port=1 actions=drop')).toBe(OFPFC.ADD);
    expect(flowSyntaxError(() => parseFlow('add actions=drop'))).toBe('field add missing value');
  });

  it('resolves port names, quoted or not', () => {
    const names = portNameMap([
      { port_no: 3, name: 'p3' },
      { port_no: 4, name: 'a b' },
    ]);
    const { flowMod } = parseFlow('in_port=p3,actions=output:"p3",enqueue:p3:1', { portNames: names });
    expect(flowMod.match.in_port).toBe(3);
    expect(flowMod.actions).toEqual([
      { type: OFPAT.OUTPUT, port: 3, max_len: 0 },
      { type: OFPAT.ENQUEUE, port: 3, queue_id: 1 },
    ]);
    expect(flowSyntaxError(() => parseFlow('in_port=p3,actions=drop'))).toBe(
      'p3: invalid or unknown port for in_port',
    );
  });

  it('says when a flow needs more than OpenFlow 1.0', () => {
    expect(flowSyntaxError(() => parseFlow('table=1,actions=drop'))).toMatch(
      /^table=1: OpenFlow 1\.0 cannot express this/,
    );
    expect(
      flowSyntaxError(() => parseFlow('dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=drop')),
    ).toMatch(/OpenFlow 1\.0/);
    expect(flowSyntaxError(() => parseFlow('actions=resubmit:3'))).toMatch(
      /^resubmit: .*no OpenFlow 1\.0 encoding/,
    );
  });
});

describe('flow files', () => {
  const text =
    '# comment\nin_port=1 actions=2\n\n  \t\npriority=5, ip actions=drop # tail\nactions=mod_tp_src:1\n';

  it('skips comments and blank lines and numbers xids', () => {
    expect(flowFileLines(text).map((l) => l.line)).toEqual([2, 5, 6]);
    const parsed = parseFlowFile(text, { xid: 10 });
    expect(parsed.flows.map((f) => f.flowMod.xid)).toEqual([10, 11, 12]);
    // One line narrows the protocols for the whole file.
    expect(parsed.usableProtocols).toBe('OpenFlow10,NXM');
  });

  it('reports errors with file and line as ovs-ofctl does', () => {
    expect(
      flowSyntaxError(() =>
        parseFlowFile('actions=1\ntcp,tp_src=1 \\\n actions=normal\n', { fileName: 'f.txt' }),
      ),
    ).toBe('f.txt:2: must specify an action');
  });
});

describe('parseFlowMatch (stats requests)', () => {
  it('takes match fields and out_port, nothing of a flow mod', () => {
    const m = parseFlowMatch('tcp,in_port=1,out_port=LOCAL');
    expect(m.outPort).toBe(OFPP.LOCAL);
    expect(m.match.in_port).toBe(1);
    expect(m.warnings).toEqual([]);
    expect(flowSyntaxError(() => parseFlowMatch('actions=drop'))).toBe('unknown keyword actions');
    expect(flowSyntaxError(() => parseFlowMatch('priority=1'))).toBe('unknown keyword priority');
    expect(flowSyntaxError(() => parseFlowMatch('cookie=1'))).toMatch(/^cannot set cookie/);
  });
});

describe('ofdp ofctl parse-flow(s)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  function capture(): { out: string[]; err: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    return { out, err };
  }

  it('prints the usable and chosen protocols and the flow mod', async () => {
    const c = capture();
    await parseFlowCommand.handler({ flow: 'tcp,tp_dst=80,actions=1', _: [], $0: 'ofdp' });
    vi.restoreAllMocks();
    expect(c.out.join('')).toBe(
      'usable protocols: any\nchosen protocol: OpenFlow10-table_id\n' +
        'OFPT_FLOW_MOD (xid=0x1): ADD tcp,tp_dst=80 actions=output:1\n',
    );
    expect(process.exitCode).toBeUndefined();
  });

  it('prints the error and exits 1 for a bad flow', async () => {
    const c = capture();
    await parseFlowCommand.handler({ flow: 'in_port=1', _: [], $0: 'ofdp' });
    vi.restoreAllMocks();
    expect(c.out).toEqual([]);
    expect(c.err.join('')).toBe('ofdp: must specify an action\n');
    expect(process.exitCode).toBe(1);
  });

  it('parse-flows reads a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), `ofdp-parse-flows-${process.pid}-`));
    try {
      const file = join(dir, 'flows');
      writeFileSync(file, 'in_port=1,actions=2\nnw_src=1.2.3.4,actions=drop\n');
      const c = capture();
      await parseFlowsCommand.handler({ file, _: [], $0: 'ofdp' });
      vi.restoreAllMocks();
      expect(c.out.join('')).toBe(
        'usable protocols: any\nchosen protocol: OpenFlow10-table_id\n' +
          'OFPT_FLOW_MOD (xid=0x1): ADD in_port=1 actions=output:2\n' +
          'OFPT_FLOW_MOD (xid=0x2): ADD actions=drop\n',
      );
      expect(c.err.join('')).toContain('normalization changed ofp_match');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
