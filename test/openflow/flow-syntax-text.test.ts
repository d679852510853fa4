/*
 * Cross-check of the flow-syntax parser with ovs-ofctl: for every flow of the table, our
 * `ofdp ofctl parse-flow` output must equal `ovs-ofctl -O OpenFlow10 parse-flow`, our warnings must
 * be what ovs-ofctl logs while parsing, and flows ovs-ofctl rejects must be rejected with its message.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatParsedFlows } from '../../src/cli/commands/ofctl/parse-flow.js';
import { FlowSyntaxError, parseFlowFile } from '../../src/openflow/flow-syntax/index.js';
import { BAD_FLOWS, GOOD_FLOWS, NOT_OF10_FLOWS } from './flow-syntax-cases.js';
import { haveOvsOfctl, ovsParseFlows, parseTimeLog, run, type OvsResult } from './flow-syntax-ovs.js';
import { ours } from './flow-syntax-ours.js';

if (!haveOvsOfctl)
  console.warn(
    'SKIPPING flow-syntax cross-checks: ovs-ofctl is not installed (scripts/install-test-deps.sh)',
  );

describe.skipIf(!haveOvsOfctl)('flow syntax vs ovs-ofctl parse-flow', () => {
  let good: OvsResult[];
  let bad: OvsResult[];
  let notOf10: OvsResult[];
  beforeAll(async () => {
    [good, bad, notOf10] = await Promise.all([
      ovsParseFlows(GOOD_FLOWS),
      ovsParseFlows(BAD_FLOWS),
      ovsParseFlows(NOT_OF10_FLOWS),
    ]);
  });

  function textMismatches(flows: readonly string[]): string[] {
    const mismatches: string[] = [];
    flows.forEach((flow) => {
      const ref = good[GOOD_FLOWS.indexOf(flow)]!;
      expect(ref.rc, `ovs-ofctl rejected the test flow ${flow}: ${ref.stderr.join(' ')}`).toBe(0);
      const r = ours(flow);
      if ('error' in r) mismatches.push(`${flow}\n  ofdp error: ${r.error}`);
      else if (r.text !== ref.stdout) mismatches.push(`${flow}\n  ofdp: ${r.text}  ovs:  ${ref.stdout}`);
    });
    return mismatches;
  }

  it('prints what ovs-ofctl prints for every accepted flow', () => {
    expect(textMismatches(GOOD_FLOWS)).toEqual([]);
  });

  it('returns the warnings ovs-ofctl logs while parsing', () => {
    const mismatches: string[] = [];
    GOOD_FLOWS.forEach((flow, i) => {
      const r = ours(flow);
      const expected = parseTimeLog(good[i]!);
      if ('error' in r || JSON.stringify(r.warnings) !== JSON.stringify(expected))
        mismatches.push(
          `${flow}\n  ofdp: ${JSON.stringify('error' in r ? r.error : r.warnings)}\n  ovs:  ${JSON.stringify(expected)}`,
        );
    });
    expect(mismatches).toEqual([]);
  });

  it('some flows of the table do produce warnings', () => {
    expect(
      GOOD_FLOWS.filter((f) => (ours(f) as { warnings?: string[] }).warnings?.length).length,
    ).toBeGreaterThan(10);
  });

  it('rejects what ovs-ofctl rejects, with its message', () => {
    const mismatches: string[] = [];
    BAD_FLOWS.forEach((flow, i) => {
      const ref = bad[i]!;
      expect(ref.rc, `ovs-ofctl accepted the bad test flow ${flow}`).not.toBe(0);
      const refMsg = ref.stderr.find((l) => l.startsWith('ovs-ofctl: '))?.slice('ovs-ofctl: '.length);
      const r = ours(flow);
      if (!('error' in r)) mismatches.push(`${flow}\n  ofdp accepted it`);
      else if (r.error !== refMsg) mismatches.push(`${flow}\n  ofdp: ${r.error}\n  ovs:  ${refMsg}`);
    });
    expect(mismatches).toEqual([]);
  });

  it('rejects flows that ovs-ofctl can only send with extensions or OpenFlow 1.1+', () => {
    NOT_OF10_FLOWS.forEach((flow, i) => {
      const ref = notOf10[i]!;
      // ovs-ofctl either sends it in another protocol or finds no protocol -O OpenFlow10 allows.
      if (ref.rc !== 0) expect(ref.stderr.join('\n')).toContain('no usable protocol');
      const r = ours(flow);
      expect('error' in r, `ofdp accepted ${flow}`).toBe(true);
      // The message names what is not OpenFlow 1.0.
      expect((r as { error: string }).error).toMatch(/OpenFlow 1\.0/);
    });
  });

  const files: Array<[string, string]> = [
    [
      'several flows, one narrowing the protocols',
      '# rules\nin_port=1 actions=2\n\ntcp,tp_dst=80 actions=mod_tp_dst:8080,normal # web\n  priority=5 arp actions=flood\n',
    ],
    ['the whole table', GOOD_FLOWS.join('\n') + '\n'],
    ['no trailing newline, CR line', 'actions=1\r\nactions=2'],
    ['an error on line 3', 'actions=1\n\nin_port=1\n'],
    ['a command keyword, which parse-flows does not take', 'actions=1\nadd actions=2\n'],
  ];
  for (const [what, text] of files) {
    it(`parse-flows: ${what}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `ofdp-parse-flows-${process.pid}-`));
      try {
        const file = join(dir, 'flows.txt');
        writeFileSync(file, text);
        const ref = await run(['-O', 'OpenFlow10', 'parse-flows', file]);
        let mine: string;
        try {
          mine = formatParsedFlows(parseFlowFile(text, { fileName: file }));
        } catch (e) {
          if (!(e instanceof FlowSyntaxError)) throw e;
          mine = `ovs-ofctl: ${e.message}`;
        }
        if (ref.rc === 0) expect(mine).toBe(ref.stdout);
        else expect(mine).toBe(ref.stderr.find((l) => l.startsWith('ovs-ofctl: ')));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
