/*
 * OpenFlow 1.0 actions: the twelve standard ones and the vendor action, each declared once.
 *
 * Every action starts with ofp_action_header {type u16, len u16}; the declarations below describe what
 * follows it. Decoding checks what OpenFlow 1.0 and Open vSwitch check while parsing (length, type,
 * argument ranges) and throws OfpDecodeError with the matching OFPET_BAD_ACTION code. Checks that need
 * the switch's state (does the port exist, is the queue configured) belong to the switch.
 */
import { OFPAT, OFPBAC, OFPET, OFPP } from './constants.js';
import { OfpDecodeError } from './decode-error.js';
import {
  cursor,
  ipv4,
  mac,
  pad,
  record,
  rest,
  u8,
  u16,
  u32,
  type Infer,
  type Record_,
  type Spec,
  type Tail,
} from './layout.js';

const specs = {
  [OFPAT.OUTPUT]: { port: u16, max_len: u16 },
  [OFPAT.SET_VLAN_VID]: { vlan_vid: u16, _pad: pad(2) },
  [OFPAT.SET_VLAN_PCP]: { vlan_pcp: u8, _pad: pad(3) },
  [OFPAT.STRIP_VLAN]: { _pad: pad(4) },
  [OFPAT.SET_DL_SRC]: { dl_addr: mac, _pad: pad(6) },
  [OFPAT.SET_DL_DST]: { dl_addr: mac, _pad: pad(6) },
  [OFPAT.SET_NW_SRC]: { nw_addr: ipv4 },
  [OFPAT.SET_NW_DST]: { nw_addr: ipv4 },
  [OFPAT.SET_NW_TOS]: { nw_tos: u8, _pad: pad(3) },
  [OFPAT.SET_TP_SRC]: { tp_port: u16, _pad: pad(2) },
  [OFPAT.SET_TP_DST]: { tp_port: u16, _pad: pad(2) },
  [OFPAT.ENQUEUE]: { port: u16, _pad: pad(6), queue_id: u32 },
  [OFPAT.VENDOR]: { vendor: u32, body: rest },
} as const;

type Specs = typeof specs;
type ActionOf<K extends keyof Specs> = { type: K } & Infer<Specs[K]>;
/** One OpenFlow 1.0 action, tagged by its OFPAT type. */
export type OfpAction = { [K in keyof Specs]: ActionOf<K> }[keyof Specs];
export type ActionByType<K extends keyof Specs> = ActionOf<K>;

const records: (Record_<OfpAction> | undefined)[] = [];
const vendorRecord = record('ofp_action_vendor_header', specs[OFPAT.VENDOR] as Spec, {
  lead: 4,
  prefix: { type: OFPAT.VENDOR },
}) as unknown as Record_<OfpAction>;
for (const [t, spec] of Object.entries(specs)) {
  const type = Number(t);
  if (type === OFPAT.VENDOR) continue;
  records[type] = record(`ofp_action_${type}`, spec as Spec, {
    lead: 4,
    prefix: { type },
  }) as unknown as Record_<OfpAction>;
}
function recordFor(type: number): Record_<OfpAction> | undefined {
  return type === OFPAT.VENDOR ? vendorRecord : records[type];
}

function bad(code: number, detail: string): OfpDecodeError {
  return new OfpDecodeError(OFPET.BAD_ACTION, code, detail);
}

/** Decodes the actions in [start, end). */
export function decodeActions(b: Buffer, start: number, end: number): OfpAction[] {
  const out: OfpAction[] = [];
  let p = start;
  // Open vSwitch refuses the first faulty action of a list. A vendor action decodes here (the
  // printer shows Nicira ones) but is refused by the datapath in its place in the list, so the
  // argument checks stop at the first one and leave the rest to the datapath, in order.
  let checking = true;
  while (p < end) {
    if (end - p < 8) throw bad(OFPBAC.BAD_LEN, `action at offset ${p - start}: ${end - p} bytes left`);
    const type = (b[p]! << 8) | b[p + 1]!;
    const len = (b[p + 2]! << 8) | b[p + 3]!;
    if (len < 8 || len % 8 !== 0 || p + len > end)
      throw bad(OFPBAC.BAD_LEN, `action type ${type}: length ${len} with ${end - p} bytes left`);
    const r = recordFor(type);
    if (!r) throw bad(OFPBAC.BAD_TYPE, `unknown action type ${type}`);
    if (r.isFixed && len !== r.fixedSize)
      throw bad(OFPBAC.BAD_LEN, `action type ${type}: length ${len}, expected ${r.fixedSize}`);
    const a = r.decode(b, p, p + len);
    if (a.type === OFPAT.VENDOR) checking = false;
    else if (checking) checkArguments(a);
    out.push(a);
    p += len;
  }
  cursor.pos = end;
  return out;
}

/** The reserved ports an OUTPUT action may name (OFPP_NONE and 0xff00–0xfff7 it may not). */
export const USABLE_RESERVED_OUTPUTS: ReadonlySet<number> = new Set([
  OFPP.IN_PORT,
  OFPP.TABLE,
  OFPP.NORMAL,
  OFPP.FLOOD,
  OFPP.ALL,
  OFPP.CONTROLLER,
  OFPP.LOCAL,
]);

/**
 * Argument checks Open vSwitch applies while decoding OpenFlow 1.0 actions, action by action, so
 * the first faulty action in the list decides the error as it does there.
 */
function checkArguments(a: OfpAction): void {
  switch (a.type) {
    case OFPAT.OUTPUT:
      if (a.port >= OFPP.MAX && !USABLE_RESERVED_OUTPUTS.has(a.port))
        throw bad(OFPBAC.BAD_OUT_PORT, `output to port ${a.port}`);
      break;
    case OFPAT.SET_VLAN_VID:
      if (a.vlan_vid > 0xfff) throw bad(OFPBAC.BAD_ARGUMENT, `set_vlan_vid ${a.vlan_vid} out of range`);
      break;
    case OFPAT.SET_VLAN_PCP:
      if (a.vlan_pcp > 7) throw bad(OFPBAC.BAD_ARGUMENT, `set_vlan_pcp ${a.vlan_pcp} out of range`);
      break;
    case OFPAT.SET_NW_TOS:
      if (a.nw_tos & 3) throw bad(OFPBAC.BAD_ARGUMENT, `set_nw_tos ${a.nw_tos} has ECN bits set`);
      break;
    case OFPAT.ENQUEUE:
      if (a.port >= OFPP.MAX && a.port !== OFPP.IN_PORT && a.port !== OFPP.LOCAL)
        throw bad(OFPBAC.BAD_OUT_PORT, `enqueue to port ${a.port}`);
      break;
  }
}

export function actionSize(a: OfpAction): number {
  const r = recordFor(a.type);
  if (!r) throw new RangeError(`unknown action type ${a.type}`);
  return r.isFixed ? r.fixedSize : (r.size(a) + 7) & ~7;
}

export function actionsSize(actions: readonly OfpAction[]): number {
  let n = 0;
  for (let i = 0; i < actions.length; i++) n += actionSize(actions[i]!);
  return n;
}

/** Writes `actions` at `o`; returns the offset after them. */
export function encodeActions(b: Buffer, o: number, actions: readonly OfpAction[]): number {
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!;
    const r = recordFor(a.type)!;
    const len = actionSize(a);
    b[o] = a.type >>> 8;
    b[o + 1] = a.type;
    b[o + 2] = len >>> 8;
    b[o + 3] = len;
    const end = r.encode(b, o, a);
    if (end < o + len) b.fill(0, end, o + len);
    o += len;
  }
  return o;
}

/** The actions running to the end of the enclosing record (flow-mod, flow stats). */
export const actionsToEnd: Tail<OfpAction[]> = {
  decode: (b, start, end) => decodeActions(b, start, end),
  size: actionsSize,
  encode: (b, o, v) => void encodeActions(b, o, v),
  zero: () => [],
};

/** Builds an action from its type and fields, for code that constructs actions by hand. */
export function action<K extends keyof Specs>(type: K, fields: Omit<ActionOf<K>, 'type'>): ActionOf<K> {
  return { type, ...fields } as ActionOf<K>;
}
