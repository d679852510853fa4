/*
 * The second half of the printer's crafted vectors (see print-vectors.ts): stats requests and
 * replies of every type, barrier and queue configuration, Nicira messages and malformed input.
 */
import { OFPP, OFPST, OFPT, OFPQT } from '../../src/openflow/constants.js';
import { matchAll } from '../../src/openflow/match.js';
import { actions, arpFrame, hex, m, matches, port } from './print-fixtures.js';

export interface Vector {
  name: string;
  bytes: Buffer;
}

export function statsAndOtherVectors(): Vector[] {
  const v: Vector[] = [];
  const add = (name: string, bytes: Buffer): void => void v.push({ name, bytes });
  // STATS requests and replies of every type.
  const fsr = { match: matches[4]![1], table_id: 0xff, out_port: OFPP.NONE };
  add(
    'stats desc request',
    m({ type: OFPT.STATS_REQUEST, xid: 2, stats_type: OFPST.DESC, flags: 0, body: null }),
  );
  add(
    'stats desc reply',
    m({
      type: OFPT.STATS_REPLY,
      xid: 2,
      stats_type: OFPST.DESC,
      flags: 0,
      body: {
        mfr_desc: 'Nicira, Inc.',
        hw_desc: 'Open vSwitch',
        sw_desc: '3.1.0',
        serial_num: 'None',
        dp_desc: 'None',
      },
    }),
  );
  add(
    'stats flow request',
    m({ type: OFPT.STATS_REQUEST, xid: 2, stats_type: OFPST.FLOW, flags: 0, body: fsr }),
  );
  add(
    'stats flow request table out_port',
    m({
      type: OFPT.STATS_REQUEST,
      xid: 2,
      stats_type: OFPST.FLOW,
      flags: 0,
      body: { match: matchAll(), table_id: 0, out_port: 2 },
    }),
  );
  add(
    'stats aggregate request',
    m({
      type: OFPT.STATS_REQUEST,
      xid: 2,
      stats_type: OFPST.AGGREGATE,
      flags: 0,
      body: { ...fsr, table_id: 3 },
    }),
  );
  add(
    'stats request flags',
    m({ type: OFPT.STATS_REQUEST, xid: 2, stats_type: OFPST.TABLE, flags: 1, body: null }),
  );
  add(
    'stats table request',
    m({ type: OFPT.STATS_REQUEST, xid: 2, stats_type: OFPST.TABLE, flags: 0, body: null }),
  );
  add(
    'stats port request',
    m({ type: OFPT.STATS_REQUEST, xid: 2, stats_type: OFPST.PORT, flags: 0, body: { port_no: OFPP.NONE } }),
  );
  add(
    'stats port request 1',
    m({ type: OFPT.STATS_REQUEST, xid: 2, stats_type: OFPST.PORT, flags: 0, body: { port_no: 1 } }),
  );
  add(
    'stats queue request',
    m({
      type: OFPT.STATS_REQUEST,
      xid: 2,
      stats_type: OFPST.QUEUE,
      flags: 0,
      body: { port_no: OFPP.ALL, queue_id: 0xffffffff },
    }),
  );
  add(
    'stats queue request 1 0',
    m({
      type: OFPT.STATS_REQUEST,
      xid: 2,
      stats_type: OFPST.QUEUE,
      flags: 0,
      body: { port_no: 1, queue_id: 0 },
    }),
  );
  add(
    'stats port desc request',
    m({ type: OFPT.STATS_REQUEST, xid: 2, stats_type: OFPST.PORT_DESC, flags: 0, body: null }),
  );
  const flowStats = (i: number) => ({
    table_id: i % 2,
    match: matches[i % matches.length]![1],
    duration_sec: i,
    duration_nsec: [0, 469000000, 283855438, 940460200][i % 4]!,
    priority: [0x8000, 0, 300, 65535][i % 4]!,
    idle_timeout: i % 3 ? 60 : 0,
    hard_timeout: i % 2 ? 120 : 0,
    cookie: BigInt(i) * 0x1234n,
    packet_count: i === 3 ? 0xffffffffffffffffn : BigInt(i),
    byte_count: BigInt(i) * 1500n,
    actions: actions[i % 5]![1],
  });
  add(
    'stats flow reply',
    m({
      type: OFPT.STATS_REPLY,
      xid: 2,
      stats_type: OFPST.FLOW,
      flags: 1,
      body: [0, 1, 2, 3, 4, 5].map(flowStats),
    }),
  );
  add(
    'stats flow reply empty',
    m({ type: OFPT.STATS_REPLY, xid: 2, stats_type: OFPST.FLOW, flags: 0, body: [] }),
  );
  add(
    'stats aggregate reply',
    m({
      type: OFPT.STATS_REPLY,
      xid: 2,
      stats_type: OFPST.AGGREGATE,
      flags: 0,
      body: { packet_count: 5n, byte_count: 0xffffffffffffffffn, flow_count: 8 },
    }),
  );
  const table = (id: number, extra: object = {}) => ({
    table_id: id,
    name: '',
    wildcards: 0x3fffff,
    max_entries: 1000000,
    active_count: 0,
    lookup_count: 0n,
    matched_count: 0n,
    ...extra,
  });
  add(
    'stats table reply',
    m({
      type: OFPT.STATS_REPLY,
      xid: 2,
      stats_type: OFPST.TABLE,
      flags: 0,
      body: [
        table(0, { active_count: 3, lookup_count: 20n }),
        table(1),
        table(2),
        table(3),
        table(4, { name: 'named' }),
        table(5, { wildcards: 0x1 }),
        table(6, { wildcards: 0x1 }),
        table(7, { max_entries: 0, wildcards: 0 }),
        table(8),
      ],
    }),
  );
  add(
    'stats table reply one',
    m({
      type: OFPT.STATS_REPLY,
      xid: 2,
      stats_type: OFPST.TABLE,
      flags: 0,
      body: [table(0, { name: 'classifier' })],
    }),
  );
  const ps = (no: number, v: bigint) => ({
    port_no: no,
    rx_packets: v,
    tx_packets: v + 1n,
    rx_bytes: v * 60n,
    tx_bytes: v * 70n,
    rx_dropped: 0n,
    tx_dropped: 0n,
    rx_errors: 0xffffffffffffffffn,
    tx_errors: 0n,
    rx_frame_err: 1n,
    rx_over_err: 2n,
    rx_crc_err: 3n,
    collisions: 0xffffffffffffffffn,
  });
  add(
    'stats port reply',
    m({
      type: OFPT.STATS_REPLY,
      xid: 2,
      stats_type: OFPST.PORT,
      flags: 0,
      body: [ps(OFPP.LOCAL, 0n), ps(1, 13n), ps(12, 5n)],
    }),
  );
  add(
    'stats queue reply',
    m({
      type: OFPT.STATS_REPLY,
      xid: 2,
      stats_type: OFPST.QUEUE,
      flags: 0,
      body: [
        { port_no: 1, queue_id: 0, tx_bytes: 1n, tx_packets: 2n, tx_errors: 0xffffffffffffffffn },
        { port_no: OFPP.LOCAL, queue_id: 5, tx_bytes: 0n, tx_packets: 0n, tx_errors: 0n },
      ],
    }),
  );
  add(
    'stats queue reply empty',
    m({ type: OFPT.STATS_REPLY, xid: 2, stats_type: OFPST.QUEUE, flags: 0, body: [] }),
  );
  add(
    'stats port desc reply',
    m({
      type: OFPT.STATS_REPLY,
      xid: 2,
      stats_type: OFPST.PORT_DESC,
      flags: 0,
      body: [port(2, 'b'), port(1, 'a')],
    }),
  );
  add(
    'stats vendor request other',
    m({
      type: OFPT.STATS_REQUEST,
      xid: 2,
      stats_type: OFPST.VENDOR,
      flags: 0,
      body: { vendor: 0x1234, data: Buffer.alloc(8) },
    }),
  );
  add(
    'nxst aggregate reply',
    m({
      type: OFPT.STATS_REPLY,
      xid: 2,
      stats_type: OFPST.VENDOR,
      flags: 0,
      body: {
        vendor: 0x2320,
        data: hex('00000001 00000000 0000000000000001 0000000000000002 00000003 00000000'),
      },
    }),
  );
  // BARRIER, QUEUE_GET_CONFIG.
  add('barrier request', m({ type: OFPT.BARRIER_REQUEST, xid: 7 }));
  add('barrier reply', m({ type: OFPT.BARRIER_REPLY, xid: 7 }));
  add('queue get config request', m({ type: OFPT.QUEUE_GET_CONFIG_REQUEST, xid: 2, port: 1 }));
  add('queue get config request any', m({ type: OFPT.QUEUE_GET_CONFIG_REQUEST, xid: 2, port: OFPP.NONE }));
  for (const p of [OFPP.ALL, OFPP.LOCAL, OFPP.MAX, 0xfeff])
    add(`queue get config request ${p}`, m({ type: OFPT.QUEUE_GET_CONFIG_REQUEST, xid: 2, port: p }));
  add('queue get config reply empty', m({ type: OFPT.QUEUE_GET_CONFIG_REPLY, xid: 2, port: 1, queues: [] }));
  add(
    'queue get config reply',
    m({
      type: OFPT.QUEUE_GET_CONFIG_REPLY,
      xid: 2,
      port: 1,
      queues: [
        { queue_id: 0, properties: [] },
        { queue_id: 1, properties: [{ property: OFPQT.MIN_RATE, rate: 500 }] },
        { queue_id: 2, properties: [{ property: OFPQT.MIN_RATE, rate: 1001 }] },
      ],
    }),
  );
  // Nicira messages the printer decodes from opaque vendor payloads (NXM matches, properties).
  const nxm = hex(
    '00000904 1005 1fff 00000602 0800 00000f08 0a000000 ff00ff00 00000c01 06 00001504 0050 fff0 0000050c 020000000000 ffffff000000',
  );
  const nxPad = Buffer.alloc((8 - (nxm.length % 8)) % 8);
  const nxOut = hex('0000 0008 0002 0000');
  const nxFlowMod = (command: number, cookie: string) =>
    Buffer.concat([
      hex(`0000000d ${cookie} ${command.toString(16).padStart(4, '0')} 003c 0000 0064 ffffffff ffff 0001`),
      Buffer.from([nxm.length >> 8, nxm.length & 255]),
      Buffer.alloc(6),
      nxm,
      nxPad,
      nxOut,
    ]);
  for (const command of [0, 1, 3, 0x0104])
    add(
      `nxt flow mod ${command}`,
      m({ type: OFPT.VENDOR, xid: 8, vendor: 0x2320, data: nxFlowMod(command, '0000000000001234') }),
    );
  const nxReq = Buffer.concat([
    hex('00000000 00000000 0002'),
    Buffer.from([0, nxm.length]),
    hex('00000000'),
    nxm,
    nxPad,
  ]);
  add(
    'nxst flow request',
    m({
      type: OFPT.STATS_REQUEST,
      xid: 8,
      stats_type: OFPST.VENDOR,
      flags: 0,
      body: { vendor: 0x2320, data: nxReq },
    }),
  );
  const entry = (prio: number, idleAge: number) => {
    const head = hex(`0000 03 00 00000005 1dcd6500 ${prio.toString(16).padStart(4, '0')} 003c 0078`);
    const rest = Buffer.concat([
      Buffer.from([0, nxm.length]),
      hex(`${idleAge.toString(16).padStart(4, '0')} 0000 0000000000001234 0000000000000007 ffffffffffffffff`),
    ]);
    const e = Buffer.concat([head, rest, nxm, nxPad, nxOut]);
    e.writeUInt16BE(e.length, 0);
    return e;
  };
  add(
    'nxst flow reply',
    m({
      type: OFPT.STATS_REPLY,
      xid: 8,
      stats_type: OFPST.VENDOR,
      flags: 1,
      body: {
        vendor: 0x2320,
        data: Buffer.concat([hex('00000000 00000000'), entry(0x8000, 0), entry(7, 3)]),
      },
    }),
  );
  const pin2 = Buffer.concat([
    hex('0000001e'),
    hex('0000'),
    Buffer.from([0, 4 + arpFrame.length]),
    arpFrame,
    Buffer.alloc((8 - ((4 + arpFrame.length) % 8)) % 8),
    hex(
      '00010008 00000064 00020008 00000009 00030005 07000000 00040010 00000000 00000000000000ab 00050005 01000000 0006000c 80000004 fffffffe 00000000',
    ),
  ]);
  add('nxt packet in2', m({ type: OFPT.VENDOR, xid: 0, vendor: 0x2320, data: pin2 }));

  // Malformed input.
  add('empty', Buffer.alloc(0));
  add('too short', hex('01000008000000'));
  add(
    'truncated flow mod',
    m({
      type: OFPT.FLOW_MOD,
      xid: 5,
      match: matchAll(),
      cookie: 0n,
      command: 0,
      idle_timeout: 0,
      hard_timeout: 0,
      priority: 1,
      buffer_id: 0xffffffff,
      out_port: OFPP.NONE,
      flags: 0,
      actions: actions[1]![1],
    }).subarray(0, 64),
  );
  add('truncated stats header', hex('0111 0020 00000002 00'));
  add('truncated unknown type', hex('01ff 0020 00000002 0000'));
  add('over-long', Buffer.concat([m({ type: OFPT.BARRIER_REQUEST, xid: 7 }), hex('0000')]));
  add('bad type', hex('01ff000800000001'));
  add('bad version', hex('0205000800000001'));
  add('features request too long', hex('01050010 00000001 0000000000000000'));
  add(
    'features reply bad port len',
    hex('0106 0024 00000001 0000000000000001 00000000 01000000 00000000 00000000 00000000'),
  );
  add('bad stats type', hex('0110000c000000020009 0000'));
  add(
    'flow mod bad action len',
    hex(
      '010e 0050 00000006 003820cf 0000000000000000000000000000000000000800 0006000000000000000000000000000000000000 0000000000000000 0000 0000 0000 8000 ffffffff ffff 0000 0000 0010 00020000 0000000000000000',
    ),
  );
  add(
    'flow mod bad action type',
    hex(
      '010e 0050 00000006 003fffff' +
        '00'.repeat(36) +
        '0000000000000000 0000 0000 0000 8000 ffffffff ffff 0000 000d 0008 00020000',
    ),
  );
  add(
    'flow mod bad vlan vid',
    hex(
      '010e 0050 00000006 003fffff' +
        '00'.repeat(36) +
        '0000000000000000 0000 0000 0000 8000 ffffffff ffff 0000 0001 0008 10000000',
    ),
  );
  add('packet out actions_len too big', hex('010d 0018 00000001 ffffffff 0001 0010 0000000800020000'));
  add(
    'queue reply bad property',
    hex('0115 0020 00000001 0001 000000000000 00000001 0010 0000 0001 0008 00000000'),
  );
  add('flow stats reply bad length', hex('0111 0014 00000002 0001 0000 0008 0000 00000000'));
  return v;
}
