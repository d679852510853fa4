/*
 * Property: a FLOW_MOD written out with the printer's formatters (formatMatch, formatActions) and
 * the flow-mod keywords parses back to the identical FLOW_MOD.
 *
 * The FLOW_MODs are the ones ovs-ofctl itself could produce: matches in OVS's canonical form
 * (normalised, wildcarded values zero, nw wildcard counts ≤ 32, dl_vlan 0xffff meaning "no VLAN"
 * with dl_vlan_pcp matched as 0, exact-match flows at priority 65535 as OVS decodes them), and
 * actions whose text keeps every field (max_len only matters for the controller port).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  OFPAT,
  OFPFW,
  OFPP,
  OFPT,
  OFP_DEFAULT_PRIORITY,
  OFP_NO_BUFFER,
} from '../../src/openflow/constants.js';
import type { OfpAction } from '../../src/openflow/actions.js';
import type { OfpMatch } from '../../src/openflow/structs.js';
import { matchAll } from '../../src/openflow/match.js';
import { rewriteActions } from '../support/arbitraries.js';
import { parseFlow, type FlowCommandName, type FlowMod } from '../../src/openflow/flow-syntax/index.js';
import { formatActions, formatMatch, formatPort } from '../../src/openflow/print/index.js';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const mac = fc.integer({ min: 0, max: 2 ** 48 - 1 });
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const OVS_ALL_WILDCARDS = 0x3820ff;

/** A match in the canonical form OVS gives it (what ovs-ofctl prints and parses back). */
const canonicalMatch: fc.Arbitrary<OfpMatch> = fc
  .record({
    inPort: opt(u16),
    dlSrc: opt(mac),
    dlDst: opt(mac),
    vlan: fc.oneof(
      fc.constant(undefined),
      fc.constant('none' as const),
      fc.record({ vid: opt(fc.integer({ min: 0, max: 0xfff })), pcp: opt(fc.integer({ min: 0, max: 7 })) }),
    ),
    dlType: opt(
      fc.oneof(fc.constantFrom(0x0800, 0x0800, 0x0806, 0x8035, 0x86dd, 0x8847, 0x8848, 0x05ff), u16),
    ),
    nwProto: opt(fc.oneof(fc.constantFrom(1, 6, 17, 132, 2, 58), u8)),
    nwSrc: opt(fc.tuple(u32, fc.integer({ min: 0, max: 32 }))),
    nwDst: opt(fc.tuple(u32, fc.integer({ min: 0, max: 32 }))),
    nwTos: opt(fc.integer({ min: 0, max: 63 })),
    tpSrc: opt(u16),
    tpDst: opt(u16),
  })
  .map((r) => {
    const m: OfpMatch = { ...matchAll(), wildcards: OVS_ALL_WILDCARDS };
    const clear = (bit: number) => (m.wildcards &= ~bit);
    if (r.inPort !== undefined) {
      clear(OFPFW.IN_PORT);
      m.in_port = r.inPort;
    }
    if (r.dlSrc !== undefined) {
      clear(OFPFW.DL_SRC);
      m.dl_src = r.dlSrc;
    }
    if (r.dlDst !== undefined) {
      clear(OFPFW.DL_DST);
      m.dl_dst = r.dlDst;
    }
    if (r.vlan === 'none') {
      clear(OFPFW.DL_VLAN | OFPFW.DL_VLAN_PCP);
      m.dl_vlan = 0xffff;
    } else if (r.vlan) {
      if (r.vlan.vid !== undefined) {
        clear(OFPFW.DL_VLAN);
        m.dl_vlan = r.vlan.vid;
      }
      if (r.vlan.pcp !== undefined) {
        clear(OFPFW.DL_VLAN_PCP);
        m.dl_vlan_pcp = r.vlan.pcp;
      }
    }
    if (r.dlType !== undefined) {
      clear(OFPFW.DL_TYPE);
      m.dl_type = r.dlType;
    }
    const ip = m.dl_type === 0x0800 && r.dlType !== undefined;
    const arp = (m.dl_type === 0x0806 || m.dl_type === 0x8035) && r.dlType !== undefined;
    if ((ip || arp) && r.nwProto !== undefined) {
      clear(OFPFW.NW_PROTO);
      m.nw_proto = r.nwProto;
    }
    const prefix = (v: [number, number], shift: number, key: 'nw_src' | 'nw_dst') => {
      const [addr, len] = v;
      const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
      m.wildcards = (m.wildcards & ~(0x3f << shift)) | ((32 - len) << shift);
      m[key] = (addr & mask) >>> 0;
    };
    if ((ip || arp) && r.nwSrc) prefix(r.nwSrc, OFPFW.NW_SRC_SHIFT, 'nw_src');
    if ((ip || arp) && r.nwDst) prefix(r.nwDst, OFPFW.NW_DST_SHIFT, 'nw_dst');
    if (ip && r.nwTos !== undefined) {
      clear(OFPFW.NW_TOS);
      m.nw_tos = r.nwTos << 2;
    }
    const proto = m.wildcards & OFPFW.NW_PROTO ? -1 : m.nw_proto;
    if (ip && [1, 6, 17, 132].includes(proto)) {
      // ICMP type and code are bytes in the flow syntax.
      const limit = proto === 1 ? 0xff : 0xffff;
      if (r.tpSrc !== undefined) {
        clear(OFPFW.TP_SRC);
        m.tp_src = r.tpSrc & limit;
      }
      if (r.tpDst !== undefined) {
        clear(OFPFW.TP_DST);
        m.tp_dst = r.tpDst & limit;
      }
    }
    m.wildcards >>>= 0;
    return m;
  });

const outputPort = fc.oneof(
  fc.integer({ min: 0, max: OFPP.MAX - 1 }),
  fc.constantFrom(OFPP.IN_PORT, OFPP.TABLE, OFPP.NORMAL, OFPP.FLOOD, OFPP.ALL, OFPP.CONTROLLER, OFPP.LOCAL),
);

const action: fc.Arbitrary<OfpAction> = fc.oneof(
  fc
    .tuple(outputPort, u16)
    .map(
      ([port, max]) =>
        ({ type: OFPAT.OUTPUT, port, max_len: port === OFPP.CONTROLLER ? max : 0 }) as OfpAction,
    ),
  ...rewriteActions,
) as fc.Arbitrary<OfpAction>;

const flowMod: fc.Arbitrary<{ command: FlowCommandName; fm: FlowMod }> = fc
  .record({
    command: fc.constantFrom<FlowCommandName>('add', 'modify', 'modify_strict', 'delete', 'delete_strict'),
    match: canonicalMatch,
    priority: fc.oneof(fc.constant(OFP_DEFAULT_PRIORITY), u16),
    cookie: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    idle: u16,
    hard: u16,
    flags: fc.integer({ min: 0, max: 3 }),
    outPort: u16,
    actions: fc.array(action, { maxLength: 5 }),
  })
  .map(({ command, match, priority, cookie, idle, hard, flags, outPort, actions }) => {
    const del = command === 'delete' || command === 'delete_strict';
    const fm: FlowMod = {
      type: OFPT.FLOW_MOD,
      xid: 1,
      match,
      cookie: del ? 0n : cookie,
      command: { add: 0, modify: 1, modify_strict: 2, delete: 3, delete_strict: 4 }[command],
      idle_timeout: del ? 0 : idle,
      hard_timeout: del ? 0 : hard,
      // OVS decodes an OF1.0 exact-match flow at priority 65535; a plain delete has no priority.
      priority: command === 'delete' ? OFP_DEFAULT_PRIORITY : match.wildcards === 0 ? 0xffff : priority,
      buffer_id: OFP_NO_BUFFER,
      out_port: del ? outPort : OFPP.NONE,
      flags: del ? 0 : flags,
      actions: del ? [] : actions,
    };
    return { command, fm };
  });

/** The flow text of a FLOW_MOD, from the printer's formatters. */
function toText(command: FlowCommandName, fm: FlowMod): string {
  const parts = [formatMatch(fm.match, fm.priority)];
  if (fm.cookie) parts.push(`cookie=0x${fm.cookie.toString(16)}`);
  if (fm.idle_timeout) parts.push(`idle_timeout=${fm.idle_timeout}`);
  if (fm.hard_timeout) parts.push(`hard_timeout=${fm.hard_timeout}`);
  if (fm.flags & 1) parts.push('send_flow_rem');
  if (fm.flags & 2) parts.push('check_overlap');
  if (fm.out_port !== OFPP.NONE) parts.push(`out_port=${formatPort(fm.out_port)}`);
  let text = parts.filter((p) => p !== '').join(',');
  if (command !== 'delete' && command !== 'delete_strict') text += ` actions=${formatActions(fm.actions)}`;
  return text;
}

describe('flow syntax round trip with the printer', () => {
  it('parse(format(flow_mod)) gives the same FLOW_MOD', () => {
    fc.assert(
      fc.property(flowMod, ({ command, fm }) => {
        const text = toText(command, fm);
        const parsed = parseFlow(text, { command });
        expect(parsed.flowMod, text).toEqual(fm);
        // A canonical match never needs normalising.
        expect(
          parsed.warnings.filter((w) => w.startsWith('normalization')),
          text,
        ).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });
});
