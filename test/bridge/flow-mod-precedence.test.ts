/*
 * Which error a FLOW_MOD with several faults draws, on ofdp and on a real Open vSwitch 3.1.
 *
 * Each case is one message with two (or more) faults: an emergency flow with timeouts and a bad
 * output port, an unknown command and bad actions, a CHECK_OVERLAP conflict in a full table, a
 * MODIFY with bad actions that matches nothing, and so on. The answers below were measured on OVS
 * (raw OpenFlow 1.0 over its bridge's management socket) and are asserted on both switches: on
 * ofdp always (an in-process bridge on dummy ports, fed the same bytes through handleRaw), on OVS
 * whenever the harness can run, so a change on either side shows. Every case also checks that the
 * connection answers the barrier that follows (it lives on) and whether the flow tables changed
 * (counters and durations aside) — unchanged for every refusal.
 *
 * The order both follow (flow-table.ts): unknown command; the actions, first fault in list order;
 * an emergency flow-mod's timeouts; then the table (CHECK_OVERLAP, then table full).
 *
 * DIFFERENCES lists where ofdp answers otherwise on purpose, each with the reason; those cases
 * assert each switch's own answer, so the difference stays measured rather than assumed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleRaw } from '../../src/bridge/handle-message.js';
import type { OfpAction } from '../../src/openflow/actions.js';
import { encodeMessage } from '../../src/openflow/codec.js';
import { OFPAT, OFPFC, OFPFF, OFPP, OFPST, OFPT } from '../../src/openflow/constants.js';
import { errorName } from '../../src/openflow/decode-error.js';
import { matchAll } from '../../src/openflow/match.js';
import type { OfpMessage } from '../../src/openflow/messages.js';
import type { OfpFlowStats } from '../../src/openflow/stats.js';
import { ovsUnavailableReason, startOvs, type OvsBridge, type OvsHandle } from '../support/ovs/index.js';
import { conn, dummyBridge, flowMod, out, send, type FlowMod } from './helpers.js';
import { OvsRawClient } from './ovs-raw-client.js';

const skip = ovsUnavailableReason();
if (skip)
  console.warn(`\n*** SKIPPING the Open vSwitch half of the FLOW_MOD precedence tests: ${skip} ***\n`);

/** Flows a "full" table holds (OVS: Flow_Table flow_limit, overflow_policy=refuse; ofdp: maxFlows). */
const FULL_LIMIT = 2;
/** A buffer_id neither switch handed out. */
const UNKNOWN_BUFFER = 12345;
const MSG_XID = 0x51;

const BAD_PORT = out(OFPP.NONE);
const VENDOR: OfpAction = { type: OFPAT.VENDOR, vendor: 0x1234, body: Buffer.alloc(0) };
const BAD_VID: OfpAction = { type: OFPAT.SET_VLAN_VID, vlan_vid: 5000 };
const inPort1 = { ...matchAll(), wildcards: matchAll().wildcards & ~1, in_port: 1 };

const fm = (actions: OfpAction[], extra: Partial<FlowMod> = {}): FlowMod =>
  flowMod(actions, { xid: MSG_XID, ...extra });
/** Two flows at priorities 1 and 2: exactly a full table. */
const fill = [fm([out(1)], { priority: 1 }), fm([out(1)], { priority: 2 })];

/** 'ok' or an OpenFlow error name such as OFPBAC_BAD_OUT_PORT. */
type Answer = string;

interface Outcome {
  answer: Answer;
  /** Whether the flow tables (normal and emergency, counters and durations aside) changed. */
  changed: boolean;
}

interface Case {
  name: string;
  /** ADDs applied first; each must succeed. */
  setup?: FlowMod[];
  msg: OfpMessage;
  /** The table holds FULL_LIMIT flows. */
  limited?: boolean;
}

interface Parity extends Case, Outcome {}

interface Difference extends Case {
  ovs: Outcome;
  ofdp: Outcome;
  why: string;
}

const refused = (answer: Answer) => ({ answer, changed: false });

const PARITY: Parity[] = [
  {
    name: 'emergency ADD with a timeout and a bad output port',
    msg: fm([BAD_PORT], { flags: OFPFF.EMERG, idle_timeout: 5 }),
    ...refused('OFPBAC_BAD_OUT_PORT'),
  },
  {
    name: 'emergency ADD with a timeout and a vendor action',
    msg: fm([VENDOR], { flags: OFPFF.EMERG, hard_timeout: 5 }),
    ...refused('OFPBAC_BAD_VENDOR'),
  },
  {
    name: 'emergency ADD with a timeout and set_vlan_vid 5000',
    msg: fm([BAD_VID], { flags: OFPFF.EMERG, hard_timeout: 5 }),
    ...refused('OFPBAC_BAD_ARGUMENT'),
  },
  {
    name: 'emergency ADD with a timeout',
    msg: fm([out(1)], { flags: OFPFF.EMERG, idle_timeout: 5 }),
    ...refused('OFPFMFC_BAD_EMERG_TIMEOUT'),
  },
  {
    name: 'emergency MODIFY with a timeout',
    msg: fm([out(1)], { flags: OFPFF.EMERG, command: OFPFC.MODIFY, idle_timeout: 5 }),
    ...refused('OFPFMFC_BAD_EMERG_TIMEOUT'),
  },
  {
    name: 'emergency DELETE with a timeout',
    msg: fm([], { flags: OFPFF.EMERG, command: OFPFC.DELETE, idle_timeout: 4 }),
    ...refused('OFPFMFC_BAD_EMERG_TIMEOUT'),
  },
  {
    name: 'unknown command and a bad output port',
    msg: fm([BAD_PORT], { command: 9 }),
    ...refused('OFPFMFC_BAD_COMMAND'),
  },
  {
    name: 'unknown command and set_vlan_vid 5000 (refused by the codec)',
    msg: fm([BAD_VID], { command: 9 }),
    ...refused('OFPFMFC_BAD_COMMAND'),
  },
  {
    name: 'unknown command and a vendor action',
    msg: fm([VENDOR], { command: 9 }),
    ...refused('OFPFMFC_BAD_COMMAND'),
  },
  {
    name: 'unknown command, emergency with a timeout',
    msg: fm([out(1)], { command: 9, flags: OFPFF.EMERG, idle_timeout: 3 }),
    ...refused('OFPFMFC_BAD_COMMAND'),
  },
  {
    name: 'bad output port and an unknown buffer_id',
    msg: fm([BAD_PORT], { buffer_id: UNKNOWN_BUFFER }),
    ...refused('OFPBAC_BAD_OUT_PORT'),
  },
  {
    name: 'MODIFY with an unknown buffer_id and a bad output port',
    setup: [fm([out(1)])],
    msg: fm([BAD_PORT], { command: OFPFC.MODIFY, buffer_id: UNKNOWN_BUFFER }),
    ...refused('OFPBAC_BAD_OUT_PORT'),
  },
  {
    name: 'CHECK_OVERLAP conflict and a bad output port',
    setup: [fm([out(1)])],
    msg: fm([BAD_PORT], { flags: OFPFF.CHECK_OVERLAP, match: inPort1 }),
    ...refused('OFPBAC_BAD_OUT_PORT'),
  },
  {
    name: 'CHECK_OVERLAP conflict in a full table',
    limited: true,
    setup: fill,
    msg: fm([out(1)], { priority: 2, flags: OFPFF.CHECK_OVERLAP, match: inPort1 }),
    ...refused('OFPFMFC_OVERLAP'),
  },
  {
    name: 'full table and a bad output port',
    limited: true,
    setup: fill,
    msg: fm([BAD_PORT], { priority: 3 }),
    ...refused('OFPBAC_BAD_OUT_PORT'),
  },
  {
    name: 'full table',
    limited: true,
    setup: fill,
    msg: fm([out(1)], { priority: 3 }),
    ...refused('OFPFMFC_ALL_TABLES_FULL'),
  },
  {
    name: 'full table, an ADD replacing a flow',
    limited: true,
    setup: fill,
    msg: fm([out(2)], { priority: 2 }),
    answer: 'ok',
    changed: true,
  },
  {
    name: 'full table, a MODIFY_STRICT matching nothing',
    limited: true,
    setup: fill,
    msg: fm([out(2)], { priority: 3, command: OFPFC.MODIFY_STRICT }),
    ...refused('OFPFMFC_ALL_TABLES_FULL'),
  },
  {
    name: 'MODIFY with a bad output port, matching nothing',
    msg: fm([BAD_PORT], { command: OFPFC.MODIFY }),
    ...refused('OFPBAC_BAD_OUT_PORT'),
  },
  {
    name: 'MODIFY_STRICT with a bad output port, matching nothing',
    msg: fm([BAD_PORT], { command: OFPFC.MODIFY_STRICT }),
    ...refused('OFPBAC_BAD_OUT_PORT'),
  },
  {
    name: 'MODIFY with a bad output port, matching a flow',
    setup: [fm([out(1)])],
    msg: fm([BAD_PORT], { command: OFPFC.MODIFY }),
    ...refused('OFPBAC_BAD_OUT_PORT'),
  },
  {
    name: 'MODIFY_STRICT matching nothing, adding an overlapping flow with CHECK_OVERLAP',
    setup: [fm([out(1)])],
    msg: fm([out(2)], { command: OFPFC.MODIFY_STRICT, flags: OFPFF.CHECK_OVERLAP, match: inPort1 }),
    ...refused('OFPFMFC_OVERLAP'),
  },
  {
    name: 'DELETE with a bad output port',
    setup: [fm([out(1)])],
    msg: fm([BAD_PORT], { command: OFPFC.DELETE }),
    ...refused('OFPBAC_BAD_OUT_PORT'),
  },
  {
    name: 'DELETE_STRICT with a bad output port',
    setup: [fm([out(1)])],
    msg: fm([BAD_PORT], { command: OFPFC.DELETE_STRICT }),
    ...refused('OFPBAC_BAD_OUT_PORT'),
  },
  {
    name: 'DELETE with a vendor action',
    setup: [fm([out(1)])],
    msg: fm([VENDOR], { command: OFPFC.DELETE }),
    ...refused('OFPBAC_BAD_VENDOR'),
  },
  {
    name: 'DELETE with buffer_id 0 (os-ken)',
    setup: [fm([out(1)])],
    msg: fm([], { command: OFPFC.DELETE, buffer_id: 0 }),
    answer: 'ok',
    changed: true,
  },
  {
    name: 'bad output port, then a vendor action',
    msg: fm([BAD_PORT, VENDOR]),
    ...refused('OFPBAC_BAD_OUT_PORT'),
  },
  {
    name: 'vendor action, then a bad output port',
    msg: fm([VENDOR, BAD_PORT]),
    ...refused('OFPBAC_BAD_VENDOR'),
  },
  {
    name: 'set_vlan_vid 5000, then a bad output port',
    msg: fm([BAD_VID, BAD_PORT]),
    ...refused('OFPBAC_BAD_ARGUMENT'),
  },
  {
    name: 'bad output port, then set_vlan_vid 5000',
    msg: fm([BAD_PORT, BAD_VID]),
    ...refused('OFPBAC_BAD_OUT_PORT'),
  },
  {
    name: 'vendor action, then set_vlan_vid 5000',
    msg: fm([VENDOR, BAD_VID]),
    ...refused('OFPBAC_BAD_VENDOR'),
  },
  { name: 'output to 0xff00', msg: fm([out(0xff00)]), ...refused('OFPBAC_BAD_OUT_PORT') },
  {
    name: 'enqueue to OFPP_NONE',
    msg: fm([{ type: OFPAT.ENQUEUE, port: OFPP.NONE, queue_id: 1 }]),
    ...refused('OFPBAC_BAD_OUT_PORT'),
  },
  {
    name: 'enqueue to a queue the port lacks',
    msg: fm([{ type: OFPAT.ENQUEUE, port: 1, queue_id: 77 }]),
    answer: 'ok',
    changed: true,
  },
  { name: 'output to a port that does not exist', msg: fm([out(77)]), answer: 'ok', changed: true },
  {
    name: 'PACKET_OUT with a bad output port and an unknown buffer_id',
    msg: {
      type: OFPT.PACKET_OUT,
      xid: MSG_XID,
      buffer_id: UNKNOWN_BUFFER,
      in_port: OFPP.NONE,
      actions: [BAD_PORT],
      data: Buffer.alloc(0),
    },
    ...refused('OFPBAC_BAD_OUT_PORT'),
  },
];

const DIFFERENCES: Difference[] = [
  {
    name: 'emergency ADD',
    msg: fm([out(1)], { flags: OFPFF.EMERG }),
    ovs: refused('OFPFMFC_ALL_TABLES_FULL'),
    ofdp: { answer: 'ok', changed: true },
    why: 'ofdp implements the OpenFlow 1.0.0 emergency flow table (fail mode "emergency"); OVS has none',
  },
  {
    name: 'ADD with an unknown buffer_id',
    msg: fm([out(1)], { buffer_id: UNKNOWN_BUFFER }),
    ovs: refused('OFPBRC_BUFFER_UNKNOWN'),
    ofdp: { answer: 'OFPBRC_BUFFER_UNKNOWN', changed: true },
    why: 'ofdp buffers packets: the flow-mod takes effect, then the buffer is looked at (buffered-flow-mod.ts)',
  },
  {
    name: 'CHECK_OVERLAP conflict and an unknown buffer_id',
    setup: [fm([out(1)])],
    msg: fm([out(2)], { flags: OFPFF.CHECK_OVERLAP, match: inPort1, buffer_id: UNKNOWN_BUFFER }),
    ovs: refused('OFPBRC_BUFFER_UNKNOWN'),
    ofdp: refused('OFPFMFC_OVERLAP'),
    why: 'the flow-mod comes before its buffered packet (OVS 3.1 refuses every buffer_id up front)',
  },
  {
    name: 'full table and an unknown buffer_id',
    limited: true,
    setup: fill,
    msg: fm([out(1)], { priority: 3, buffer_id: UNKNOWN_BUFFER }),
    ovs: refused('OFPBRC_BUFFER_UNKNOWN'),
    ofdp: refused('OFPFMFC_ALL_TABLES_FULL'),
    why: 'the flow-mod comes before its buffered packet (OVS 3.1 refuses every buffer_id up front)',
  },
  {
    name: 'CHECK_OVERLAP with a flow identical to an existing one',
    setup: [fm([out(1)])],
    msg: fm([out(2)], { flags: OFPFF.CHECK_OVERLAP }),
    ovs: { answer: 'ok', changed: true },
    ofdp: refused('OFPFMFC_OVERLAP'),
    why: 'OpenFlow 1.0.0: flows a single packet could both match overlap, identical ones included',
  },
];

const BIG = (_k: string, v: unknown) => (typeof v === 'bigint' ? String(v) : v);

/** The flows as a comparable string: what a flow is, not its counters or age. */
function tableOf(flows: readonly OfpFlowStats[]): string {
  return JSON.stringify(
    flows.map((f) => ({
      m: f.match,
      p: f.priority,
      c: f.cookie,
      i: f.idle_timeout,
      h: f.hard_timeout,
      a: f.actions,
    })),
    BIG,
  );
}

function answerOf(replies: readonly OfpMessage[]): Answer {
  const errors = replies.filter((m) => m.type === OFPT.ERROR);
  expect(replies.filter((m) => m.type !== OFPT.ERROR)).toEqual([]);
  if (errors.length === 0) return 'ok';
  expect(errors).toHaveLength(1);
  expect(errors[0]!.xid).toBe(MSG_XID);
  return errorName(errors[0]!.err_type, errors[0]!.code);
}

/** ofdp: a fresh bridge on two dummy ports; the case's bytes through the same path a socket uses. */
async function onOfdp(c: Case): Promise<Outcome> {
  const { bridge } = dummyBridge(
    { name: 'br0', failMode: 'secure', ...(c.limited ? { maxFlows: FULL_LIMIT } : {}) },
    'p1',
    'p2',
  );
  const { c: lc, got } = conn();
  bridge.connect(lc);
  for (const s of c.setup ?? []) await send(bridge, lc, s);
  expect(got.filter((m) => m.type === OFPT.ERROR)).toEqual([]);
  const table = () =>
    tableOf([
      ...bridge.dp.flowStats(matchAll()),
      ...bridge.dp.flowStats(matchAll(), OFPP.NONE, { emergency: true }),
    ]);
  const before = table();
  got.length = 0;
  await handleRaw(bridge, lc, encodeMessage(c.msg));
  await send(bridge, lc, { type: OFPT.BARRIER_REQUEST, xid: 0xba });
  expect(got.at(-1)).toMatchObject({ type: OFPT.BARRIER_REPLY, xid: 0xba });
  return { answer: answerOf(got.slice(0, -1)), changed: table() !== before };
}

/** OVS's flow table (it has one, and no emergency flows) as tableOf() puts it. */
async function ovsTable(cl: OvsRawClient): Promise<string> {
  const replies = await cl.exchange({
    type: OFPT.STATS_REQUEST,
    xid: MSG_XID + 1,
    stats_type: OFPST.FLOW,
    flags: 0,
    body: { match: matchAll(), table_id: 0xff, out_port: OFPP.NONE },
  });
  return tableOf(replies.flatMap(({ m }) => (m.type === OFPT.STATS_REPLY ? (m.body as OfpFlowStats[]) : [])));
}

/** What `cl` got back for `m` before the barrier reply that follows it. */
const ovsAnswers = async (cl: OvsRawClient, m: OfpMessage) => (await cl.exchange(m)).map((r) => r.m);

describe('FLOW_MOD precedence: ofdp gives the answers measured on Open vSwitch', () => {
  it.each(PARITY)('$name → $answer', async (c) => {
    expect(await onOfdp(c)).toEqual({ answer: c.answer, changed: c.changed });
  });
  it.each(DIFFERENCES)('$name → $ofdp.answer (OVS: $ovs.answer), because $why', async (c) => {
    expect(await onOfdp(c)).toEqual(c.ofdp);
  });
});

describe.skipIf(skip !== undefined)('FLOW_MOD precedence: Open vSwitch still answers so', () => {
  let ovs: OvsHandle;
  const clients = new Map<boolean, OvsRawClient>();

  beforeAll(async () => {
    ovs = await startOvs();
    const open = await ovs.addBridge('fmp0');
    const limited = await ovs.addBridge('fmp1');
    await ovs.vsctl(
      '--',
      '--id=@ft',
      'create',
      'Flow_Table',
      `flow_limit=${FULL_LIMIT}`,
      'overflow_policy=refuse',
      '--',
      'set',
      'Bridge',
      limited.name,
      'flow_tables:0=@ft',
    );
    const connect = (b: OvsBridge) => OvsRawClient.connect(b.mgmtTarget);
    clients.set(false, await connect(open));
    clients.set(true, await connect(limited));
  }, 60_000);

  afterAll(async () => {
    for (const c of clients.values()) c.close();
    await ovs?.stop();
  });

  async function onOvs(c: Case): Promise<Outcome> {
    const cl = clients.get(c.limited === true)!;
    // OVS keeps no emergency flows, so clearing its one table starts every case afresh.
    expect(await ovsAnswers(cl, fm([], { command: OFPFC.DELETE }))).toEqual([]);
    for (const s of c.setup ?? []) expect(await ovsAnswers(cl, s)).toEqual([]);
    const before = await ovsTable(cl);
    // The barrier reply inside exchange() shows the connection outlived the refusal.
    const answer = answerOf(await ovsAnswers(cl, c.msg));
    return { answer, changed: (await ovsTable(cl)) !== before };
  }

  it.each(PARITY)('$name → $answer', async (c) => {
    expect(await onOvs(c)).toEqual({ answer: c.answer, changed: c.changed });
  });
  it.each(DIFFERENCES)('$name → $ovs.answer', async (c) => {
    expect(await onOvs(c)).toEqual(c.ovs);
  });
});
