/*
 * The deliberate differences between ofdp and Open vSwitch in ovs-ofctl output, one function each
 * (test/integration/ofctl-vs-ovs.test.ts lists why each exists). Each takes both normalised results,
 * asserts each side's own value, and returns the pair with only that difference taken out, so
 * everything else is still compared.
 */
import { expect } from 'vitest';
import type { Normalised } from './ofctl-compare.js';

/** The `n_tables`/`n_buffers` line of `show` (see the header). */
export function acceptFeatures(ovs: Normalised, ofdp: Normalised): [Normalised, Normalised] {
  expect(ovs.stdout).toContain('\nn_tables:254, n_buffers:0\n');
  expect(ofdp.stdout).toContain('\nn_tables:1, n_buffers:256\n');
  return [
    ovs,
    {
      ...ofdp,
      stdout: ofdp.stdout.replace('\nn_tables:1, n_buffers:256\n', '\nn_tables:254, n_buffers:0\n'),
    },
  ];
}

/** Port-stats entries as a set; ofdp's own order is by port number, LOCAL last. */
export function acceptPortOrder(ovs: Normalised, ofdp: Normalised): [Normalised, Normalised] {
  const blocks = (s: string) => {
    const [head, ...rest] = s.split(/\n(?= {2}port )/);
    return { head: head!, ports: rest.map((b) => b.replace(/\n$/, '')) };
  };
  const o = blocks(ovs.stdout);
  const d = blocks(ofdp.stdout);
  const names = d.ports.map((b) => /^ {2}port +(\S+):/.exec(b)![1]!);
  expect(names).toEqual([
    ...names.filter((n) => n !== 'LOCAL').sort((a, b) => Number(a) - Number(b)),
    'LOCAL',
  ]);
  const join = (h: string, ports: string[]) => [h, ...[...ports].sort()].join('\n') + '\n';
  return [
    { ...ovs, stdout: join(o.head, o.ports) },
    { ...ofdp, stdout: join(d.head, d.ports) },
  ];
}

/** dump-tables: ofdp's one table is named; OVS has 253 more. The counters must be equal. */
export function acceptTables(ovs: Normalised, ofdp: Normalised): [Normalised, Normalised] {
  expect(ovs.stdout).toMatch(/\n {2}tables \d+\.\.\.253: ditto\n$/);
  expect(ofdp.stdout).toContain('\n  table 0 ("classifier"):\n');
  const table0 = (s: string) =>
    /^(OFPST_TABLE reply[^\n]*\n {2}table 0[^\n]*\n(?: {4}[^\n]*\n)+)/.exec(s)?.[1];
  expect(table0(ofdp.stdout)).toBeDefined();
  return [
    { ...ovs, stdout: table0(ovs.stdout)!.replace('\n  table 0:\n', '\n  table 0 ("classifier"):\n') },
    { ...ofdp, stdout: table0(ofdp.stdout)! },
  ];
}

/** `--names` prints ofdp's table name. */
export function acceptTableName(ovs: Normalised, ofdp: Normalised): [Normalised, Normalised] {
  const lines = ofdp.stdout.split('\n').filter((l) => l.includes('cookie='));
  expect(lines.length).toBeGreaterThan(0);
  for (const l of lines) expect(l).toContain(' table=classifier, ');
  return [ovs, { ...ofdp, stdout: ofdp.stdout.replaceAll(' table=classifier, ', ' table=0, ') }];
}

/**
 * Flow listings in any order: an unsorted dump lists flows in table order, which is unspecified
 * (OVS's follows its classifier's subtables and hashes), and `diff-flows` prints in the order of
 * ovs-ofctl's own hash table, which depends on the order the dump came in. A header line stays first.
 */
export function acceptAnyOrder(ovs: Normalised, ofdp: Normalised): [Normalised, Normalised] {
  const sorted = (r: Normalised): Normalised => {
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    const head = lines[0]?.startsWith('OFPST_') ? lines.splice(0, 1) : [];
    return { ...r, stdout: [...head, ...lines.sort()].map((l) => `${l}\n`).join('') };
  };
  return [sorted(ovs), sorted(ofdp)];
}

/**
 * A failed version negotiation: ovs-ofctl reports "Protocol error", or "Broken pipe" when the switch
 * has already closed the socket as ovs-ofctl sends its own HELLO_FAILED. Which one depends on timing;
 * over a unix socket OVS gives either.
 */
export function acceptNegotiationFailure(ovs: Normalised, ofdp: Normalised): [Normalised, Normalised] {
  const same = (r: Normalised): Normalised => {
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /version negotiation failed \(we support version 0x04, peer supports version 0x01\)\n/,
    );
    expect(r.stderr).toMatch(/failed to connect to socket \((Protocol error|Broken pipe)\)\n$/);
    return { ...r, stderr: r.stderr.replace('(Broken pipe)', '(Protocol error)') };
  };
  return [same(ovs), same(ofdp)];
}

/** The exact-match flow: ofdp keeps priority 100, OVS reports 65535. */
export function acceptExactPriority(ovs: Normalised, ofdp: Normalised): [Normalised, Normalised] {
  expect(ovs.stdout).toMatch(/ priority=65535,udp,in_port=2,/);
  expect(ofdp.stdout).toMatch(/ priority=100,udp,in_port=2,/);
  return [
    ovs,
    {
      ...ofdp,
      stdout: ofdp.stdout.replace(' priority=100,udp,in_port=2,', ' priority=65535,udp,in_port=2,'),
    },
  ];
}
