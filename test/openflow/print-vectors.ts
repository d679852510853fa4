/*
 * Crafted OpenFlow 1.0 messages for the printer cross-check: every message type, every stats type,
 * every action, every error type and code, Nicira messages, and malformed, truncated and over-long
 * inputs. Each is printed by us and by `ovs-ofctl ofp-print` (see print-ovs.test.ts).
 */
import { OFPAT, OFPP, OFPT, ERROR_CODES } from '../../src/openflow/constants.js';
import { matchAll } from '../../src/openflow/match.js';
import {
  actions,
  arpFrame,
  fragFrame,
  hex,
  icmp6Frame,
  icmpFrame,
  m,
  matches,
  ndFrame,
  port,
  udpFrame,
  vlanTcpFrame,
} from './print-fixtures.js';

export interface Vector {
  name: string;
  bytes: Buffer;
}

import { statsAndOtherVectors } from './print-vectors-more.js';

export function vectors(): Vector[] {
  const v: Vector[] = [];
  const add = (name: string, bytes: Buffer): void => void v.push({ name, bytes });
  // HELLO and its elements.
  add('hello', m({ type: OFPT.HELLO, xid: 1, version: 1, body: Buffer.alloc(0) }));
  add('hello v4', m({ type: OFPT.HELLO, xid: 1, version: 4, body: Buffer.alloc(0) }));
  add('hello v6', m({ type: OFPT.HELLO, xid: 1, version: 6, body: Buffer.alloc(0) }));
  add('hello bitmap', m({ type: OFPT.HELLO, xid: 1, version: 4, body: hex('00010008 00000012') }));
  add('hello bad element', m({ type: OFPT.HELLO, xid: 1, version: 1, body: hex('00020008 00000012') }));
  add('hello short element', m({ type: OFPT.HELLO, xid: 1, version: 1, body: hex('00000000') }));
  add('hello empty bitmap', m({ type: OFPT.HELLO, xid: 1, version: 1, body: hex('00010008 00000001') }));
  // ERROR: every type and code, with data.
  const inner = m({ type: OFPT.FEATURES_REQUEST, xid: 2 });
  for (const [t, g] of Object.entries(ERROR_CODES)) {
    for (const code of Object.values(g.codes))
      add(
        `error ${g.prefix} ${code}`,
        m({ type: OFPT.ERROR, xid: 3, version: 1, err_type: Number(t), code, data: inner }),
      );
  }
  add(
    'error unknown code',
    m({ type: OFPT.ERROR, xid: 3, version: 1, err_type: 1, code: 99, data: Buffer.alloc(0) }),
  );
  add(
    'error unknown type',
    m({ type: OFPT.ERROR, xid: 3, version: 1, err_type: 9, code: 0, data: Buffer.alloc(0) }),
  );
  add(
    'error hello text',
    m({
      type: OFPT.ERROR,
      xid: 0,
      version: 4,
      err_type: 0,
      code: 0,
      data: Buffer.from('no common version\n\x01\x7f', 'latin1'),
    }),
  );
  add(
    'error empty data',
    m({ type: OFPT.ERROR, xid: 3, version: 1, err_type: 1, code: 6, data: Buffer.alloc(0) }),
  );
  add(
    'error truncated inner',
    m({ type: OFPT.ERROR, xid: 3, version: 1, err_type: 3, code: 1, data: hex('010e0050000000060038') }),
  );
  add(
    'error short inner',
    m({ type: OFPT.ERROR, xid: 3, version: 1, err_type: 3, code: 1, data: hex('0102') }),
  );
  add(
    'error bad-type inner',
    m({ type: OFPT.ERROR, xid: 3, version: 1, err_type: 1, code: 1, data: hex('01ff000800000002') }),
  );
  // ECHO, VENDOR.
  add('echo request', m({ type: OFPT.ECHO_REQUEST, xid: 0, data: Buffer.alloc(0) }));
  add(
    'echo reply payload',
    m({ type: OFPT.ECHO_REPLY, xid: 9, data: Buffer.from('hello, world! 0123456789', 'latin1') }),
  );
  add('vendor unknown', m({ type: OFPT.VENDOR, xid: 4, vendor: 0x1234, data: Buffer.alloc(8) }));
  add(
    'nx set_flow_format nxm',
    m({ type: OFPT.VENDOR, xid: 4, vendor: 0x2320, data: hex('0000000c 00000002') }),
  );
  add(
    'nx set_flow_format of10',
    m({ type: OFPT.VENDOR, xid: 4, vendor: 0x2320, data: hex('0000000c 00000000') }),
  );
  add(
    'nx flow_mod_table_id',
    m({ type: OFPT.VENDOR, xid: 4, vendor: 0x2320, data: hex('0000000f 01000000 00000000') }),
  );
  add(
    'nx set_packet_in_format',
    m({ type: OFPT.VENDOR, xid: 4, vendor: 0x2320, data: hex('00000010 00000002') }),
  );
  add('nx unknown subtype', m({ type: OFPT.VENDOR, xid: 4, vendor: 0x2320, data: hex('000003e7 00000000') }));
  // FEATURES, CONFIG.
  add('features request', m({ type: OFPT.FEATURES_REQUEST, xid: 2 }));
  add(
    'features reply',
    m({
      type: OFPT.FEATURES_REPLY,
      xid: 2,
      datapath_id: 1n,
      n_buffers: 256,
      n_tables: 254,
      capabilities: 0xc7,
      actions: 0xfff,
      ports: [
        port(OFPP.LOCAL, 'br0', { config: 1, state: 1 }),
        port(2, 'eth2', { advertised: 0x2ff, supported: 0xfff, peer: 0x28 }),
        port(1, 'eth1', { state: 0x100, config: 0x7f }),
        port(5, 'sixteen-chars-nm', { config: 0xff80 }),
        port(6, 'tab\tname'),
        port(3, 'p3', { state: 0x200, curr: 0x20 }),
        port(4, 'p4', { state: 0x301, curr: 0x1 }),
      ],
    }),
  );
  add(
    'features reply all caps',
    m({
      type: OFPT.FEATURES_REPLY,
      xid: 2,
      datapath_id: 0xfedcba9876543210n,
      n_buffers: 0,
      n_tables: 1,
      capabilities: 0xffffffff,
      actions: 0xffffffff,
      ports: [],
    }),
  );
  add(
    'features reply no caps',
    m({
      type: OFPT.FEATURES_REPLY,
      xid: 2,
      datapath_id: 0n,
      n_buffers: 0,
      n_tables: 1,
      capabilities: 0,
      actions: 0,
      ports: [],
    }),
  );
  add('get config request', m({ type: OFPT.GET_CONFIG_REQUEST, xid: 3 }));
  for (const flags of [0, 1, 2, 3])
    add(`get config reply ${flags}`, m({ type: OFPT.GET_CONFIG_REPLY, xid: 3, flags, miss_send_len: 128 }));
  add('set config', m({ type: OFPT.SET_CONFIG, xid: 3, flags: 0, miss_send_len: 0xffff }));
  add('set config bad flags', m({ type: OFPT.SET_CONFIG, xid: 3, flags: 0x10, miss_send_len: 1 }));
  // PACKET_IN with several frames.
  const frames: [string, Buffer][] = [
    ['udp', udpFrame],
    ['arp', arpFrame],
    ['vlan tcp', vlanTcpFrame],
    ['icmp6', icmp6Frame],
    ['nd', ndFrame],
    ['fragment', fragFrame],
    ['icmp', icmpFrame],
    ['short', hex('0200000000020200')],
    ['empty', Buffer.alloc(0)],
    ['llc', hex('020000000002 020000000001 0026 424203000000000000')],
    [
      'snap',
      hex(
        '020000000002 020000000001 0026 aaaa03000000 0806 0001080006040002 020000000001 0a000001 020000000002 0a000002',
      ),
    ],
    ['truncated ip', udpFrame.subarray(0, 40)],
  ];
  for (const [n, data] of frames) {
    add(
      `packet_in ${n}`,
      m({
        type: OFPT.PACKET_IN,
        xid: 0,
        buffer_id: 0xffffffff,
        total_len: data.length,
        in_port: 1,
        reason: 0,
        data,
      }),
    );
  }
  add(
    'packet_in buffered',
    m({
      type: OFPT.PACKET_IN,
      xid: 0,
      buffer_id: 5,
      total_len: 100,
      in_port: OFPP.LOCAL,
      reason: 1,
      data: udpFrame,
    }),
  );
  add(
    'packet_in total<data',
    m({ type: OFPT.PACKET_IN, xid: 0, buffer_id: 5, total_len: 10, in_port: 3, reason: 2, data: udpFrame }),
  );
  add(
    'packet_in total!=data',
    m({
      type: OFPT.PACKET_IN,
      xid: 0,
      buffer_id: 0xffffffff,
      total_len: 10,
      in_port: 3,
      reason: 7,
      data: udpFrame,
    }),
  );
  // FLOW_REMOVED, PORT_STATUS.
  for (const reason of [0, 1, 2, 9]) {
    add(
      `flow removed ${reason}`,
      m({
        type: OFPT.FLOW_REMOVED,
        xid: 0,
        match: matches[4]![1],
        cookie: BigInt(reason) * 0x1234n,
        priority: 0x8000 - reason,
        reason,
        duration_sec: 2,
        duration_nsec: reason * 1000001,
        idle_timeout: 5,
        packet_count: 7n,
        byte_count: 0xffffffffffffffffn,
      }),
    );
  }
  for (const reason of [0, 1, 2, 3])
    add(
      `port status ${reason}`,
      m({ type: OFPT.PORT_STATUS, xid: 0, reason, desc: port(7, 'veth7', { config: 0x21, state: 0x201 }) }),
    );
  // PACKET_OUT.
  add(
    'packet out',
    m({
      type: OFPT.PACKET_OUT,
      xid: 6,
      buffer_id: 0xffffffff,
      in_port: 1,
      actions: [{ type: OFPAT.OUTPUT, port: 2, max_len: 0 }],
      data: udpFrame,
    }),
  );
  add(
    'packet out buffered',
    m({
      type: OFPT.PACKET_OUT,
      xid: 6,
      buffer_id: 7,
      in_port: OFPP.NONE,
      actions: [{ type: OFPAT.OUTPUT, port: OFPP.FLOOD, max_len: 0 }],
      data: Buffer.alloc(0),
    }),
  );
  add(
    'packet out controller no data',
    m({
      type: OFPT.PACKET_OUT,
      xid: 6,
      buffer_id: 0xffffffff,
      in_port: OFPP.CONTROLLER,
      actions: [],
      data: Buffer.alloc(0),
    }),
  );
  add(
    'packet out bad in_port',
    m({
      type: OFPT.PACKET_OUT,
      xid: 6,
      buffer_id: 0xffffffff,
      in_port: OFPP.FLOOD,
      actions: [],
      data: arpFrame,
    }),
  );
  // FLOW_MOD: every match shape, every action list, every command and flag.
  for (const [n, match] of matches) {
    add(
      `flow mod match ${n}`,
      m({
        type: OFPT.FLOW_MOD,
        xid: 5,
        match,
        cookie: 0n,
        command: 0,
        idle_timeout: 0,
        hard_timeout: 0,
        priority: 0x8000,
        buffer_id: 0xffffffff,
        out_port: OFPP.NONE,
        flags: 0,
        actions: [],
      }),
    );
  }
  for (const [n, acts] of actions) {
    add(
      `flow mod actions ${n}`,
      m({
        type: OFPT.FLOW_MOD,
        xid: 5,
        match: matchAll(),
        cookie: 0n,
        command: 0,
        idle_timeout: 0,
        hard_timeout: 0,
        priority: 100,
        buffer_id: 0xffffffff,
        out_port: OFPP.NONE,
        flags: 0,
        actions: acts,
      }),
    );
  }
  for (const command of [0, 1, 2, 3, 4, 5, 0x0103]) {
    add(
      `flow mod command ${command}`,
      m({
        type: OFPT.FLOW_MOD,
        xid: 5,
        match: matches[2]![1],
        cookie: 0x1234n,
        command,
        idle_timeout: 60,
        hard_timeout: 120,
        priority: 7,
        buffer_id: 9,
        out_port: 3,
        flags: 7,
        actions: [{ type: OFPAT.OUTPUT, port: 1, max_len: 0 }],
      }),
    );
  }
  add(
    'flow mod cookie max',
    m({
      type: OFPT.FLOW_MOD,
      xid: 5,
      match: matchAll(),
      cookie: 0xffffffffffffffffn,
      command: 3,
      idle_timeout: 0,
      hard_timeout: 0,
      priority: 0x8000,
      buffer_id: 0,
      out_port: OFPP.LOCAL,
      flags: 1,
      actions: [],
    }),
  );
  for (const [flags, idle] of [
    [4, 0],
    [4, 5],
    [8, 0],
    [0x0c, 1],
  ] as const)
    add(
      `flow mod flags ${flags} idle ${idle}`,
      m({
        type: OFPT.FLOW_MOD,
        xid: 5,
        match: matchAll(),
        cookie: 0n,
        command: 0,
        idle_timeout: idle,
        hard_timeout: 0,
        priority: 1,
        buffer_id: 0xffffffff,
        out_port: OFPP.NONE,
        flags,
        actions: [],
      }),
    );
  for (const flags of [4, 8, 0x10, 0x20])
    add(`set config flags ${flags}`, m({ type: OFPT.SET_CONFIG, xid: 3, flags, miss_send_len: 1 }));
  for (const flags of [4, 8])
    add(
      `get config reply flags ${flags}`,
      m({ type: OFPT.GET_CONFIG_REPLY, xid: 3, flags, miss_send_len: 1 }),
    );
  add('echo v4', hex('04020010 00000005 0102030405060708'));
  add('get config request v3', hex('03070008 00000005'));
  add(
    'flow mod bad flags',
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
      flags: 0x10,
      actions: [],
    }),
  );
  // PORT_MOD.
  add(
    'port mod',
    m({ type: OFPT.PORT_MOD, xid: 4, port_no: 2, hw_addr: 0xd2059024ad27, config: 1, mask: 1, advertise: 0 }),
  );
  add(
    'port mod advertise',
    m({
      type: OFPT.PORT_MOD,
      xid: 4,
      port_no: OFPP.LOCAL,
      hw_addr: 1,
      config: 0x74,
      mask: 0x7f,
      advertise: 0x2c0,
    }),
  );
  return [...v, ...statsAndOtherVectors()];
}
