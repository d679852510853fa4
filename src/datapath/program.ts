/*
 * Action lists: checking them against the datapath, and compiling them for the fast path.
 *
 * validateActions() applies the checks that need the switch (which ports may be named) and the ones
 * a hand-built action list could dodge past the wire decoder, answering as Open vSwitch does
 * (ofpact_check_output_port): any port below OFPP_MAX is accepted even when no such port exists
 * (output to it drops), every reserved port but OFPP_NONE is accepted, and ENQUEUE takes a port below
 * OFPP_MAX, IN_PORT or LOCAL. An ENQUEUE naming a queue the port lacks is accepted too: like Open
 * vSwitch, it falls back to a plain output at run time.
 *
 * compileActions() turns a validated list into a flat Int32Array of (op, a, b) triples, so executing
 * a rule walks numbers instead of a union of object shapes. Wide operands are split so that every
 * operand fits V8's small-integer range (never boxed when passed on): a MAC as two 24-bit halves,
 * an IPv4 address as two 16-bit halves.
 *
 * checkActions() does both, once: it is the only way to get a CheckedProgram, so an API taking one
 * (Datapath.execute, what Datapath.flowMod returns for a buffered packet) needs no second check, and
 * a caller holding only an action list cannot skip validation.
 */
import { OFPAT, OFPBAC, OFPET, OFPP } from '../openflow/constants.js';
import type { OfpAction } from '../openflow/actions.js';
import { DatapathError } from './errors.js';

export const OP_OUTPUT = 0;
export const OP_SET_VLAN_VID = 1;
export const OP_SET_VLAN_PCP = 2;
export const OP_STRIP_VLAN = 3;
export const OP_SET_DL_SRC = 4;
export const OP_SET_DL_DST = 5;
export const OP_SET_NW_SRC = 6;
export const OP_SET_NW_DST = 7;
export const OP_SET_NW_TOS = 8;
export const OP_SET_TP_SRC = 9;
export const OP_SET_TP_DST = 10;
export const OP_ENQUEUE = 11;

export interface Program {
  /** (op, a, b) triples; OP_* values match OFPAT_* values. */
  readonly ops: Int32Array;
  /** The port of a program that is exactly one OUTPUT to a port below OFPP_MAX, else -1. */
  readonly singleOutput: number;
}

declare const checked: unique symbol;

/** A Program compiled from an action list validateActions() accepted; only checkActions() makes one. */
export interface CheckedProgram extends Program {
  readonly [checked]: true;
}

function bad(code: number, detail: string): DatapathError {
  return new DatapathError(OFPET.BAD_ACTION, code, detail);
}

function checkOutputPort(port: number, what: string): void {
  if (port === OFPP.NONE || (port >= OFPP.MAX && port < OFPP.IN_PORT) || port > 0xffff || port < 0)
    throw bad(OFPBAC.BAD_OUT_PORT, `${what} to port ${port}`);
}

/** Throws DatapathError(OFPET_BAD_ACTION, …) for an action list the datapath cannot run. */
export function validateActions(actions: readonly OfpAction[]): void {
  for (const a of actions) {
    switch (a.type) {
      case OFPAT.OUTPUT:
        checkOutputPort(a.port, 'output');
        break;
      case OFPAT.ENQUEUE:
        if (a.port >= OFPP.MAX && a.port !== OFPP.IN_PORT && a.port !== OFPP.LOCAL)
          throw bad(OFPBAC.BAD_OUT_PORT, `enqueue to port ${a.port}`);
        if (a.queue_id < 0 || a.queue_id > 0xffffffff) throw bad(OFPBAC.BAD_QUEUE, `queue ${a.queue_id}`);
        break;
      case OFPAT.SET_VLAN_VID:
        if (a.vlan_vid < 0 || a.vlan_vid > 0xfff)
          throw bad(OFPBAC.BAD_ARGUMENT, `set_vlan_vid ${a.vlan_vid}`);
        break;
      case OFPAT.SET_VLAN_PCP:
        if (a.vlan_pcp < 0 || a.vlan_pcp > 7) throw bad(OFPBAC.BAD_ARGUMENT, `set_vlan_pcp ${a.vlan_pcp}`);
        break;
      case OFPAT.SET_NW_TOS:
        if ((a.nw_tos & ~0xfc) !== 0) throw bad(OFPBAC.BAD_ARGUMENT, `set_nw_tos ${a.nw_tos}`);
        break;
      case OFPAT.STRIP_VLAN:
      case OFPAT.SET_DL_SRC:
      case OFPAT.SET_DL_DST:
      case OFPAT.SET_NW_SRC:
      case OFPAT.SET_NW_DST:
      case OFPAT.SET_TP_SRC:
      case OFPAT.SET_TP_DST:
        break;
      case OFPAT.VENDOR:
        throw bad(OFPBAC.BAD_VENDOR, `vendor action 0x${a.vendor.toString(16)}`);
      default:
        throw bad(OFPBAC.BAD_TYPE, `action type ${(a as { type: number }).type}`);
    }
  }
}

/** Compiles a list that validateActions() accepted. */
function compileActions(actions: readonly OfpAction[]): Program {
  const ops = new Int32Array(actions.length * 3);
  let o = 0;
  for (const a of actions) {
    let x = 0;
    let y = 0;
    switch (a.type) {
      case OFPAT.OUTPUT:
        x = a.port;
        y = a.max_len;
        break;
      case OFPAT.SET_VLAN_VID:
        x = a.vlan_vid;
        break;
      case OFPAT.SET_VLAN_PCP:
        x = a.vlan_pcp;
        break;
      case OFPAT.SET_DL_SRC:
      case OFPAT.SET_DL_DST:
        x = Math.floor(a.dl_addr / 0x1000000);
        y = a.dl_addr % 0x1000000;
        break;
      case OFPAT.SET_NW_SRC:
      case OFPAT.SET_NW_DST:
        x = a.nw_addr >>> 16;
        y = a.nw_addr & 0xffff;
        break;
      case OFPAT.SET_NW_TOS:
        x = a.nw_tos;
        break;
      case OFPAT.SET_TP_SRC:
      case OFPAT.SET_TP_DST:
        x = a.tp_port;
        break;
      case OFPAT.ENQUEUE:
        x = a.port;
        y = a.queue_id | 0;
        break;
      default:
        break;
    }
    ops[o++] = a.type;
    ops[o++] = x;
    ops[o++] = y;
  }
  const singleOutput =
    actions.length === 1 && actions[0]!.type === OFPAT.OUTPUT && actions[0]!.port < OFPP.MAX
      ? actions[0]!.port
      : -1;
  return { ops, singleOutput };
}

/** Compiled programs of the commonest action list, a single output, shared rather than rebuilt. */
const singleOutputPrograms = new Map<number, CheckedProgram>();

/**
 * Validates `actions` (throws DatapathError(OFPET_BAD_ACTION, …), first fault in list order) and
 * compiles them. A single output's program is shared by every list naming the same port and max_len.
 */
export function checkActions(actions: readonly OfpAction[]): CheckedProgram {
  validateActions(actions);
  if (actions.length === 1) {
    const a = actions[0]!;
    if (a.type === OFPAT.OUTPUT) {
      const k = a.port * 0x10000 + a.max_len;
      let p = singleOutputPrograms.get(k);
      if (!p) singleOutputPrograms.set(k, (p = compileActions(actions) as CheckedProgram));
      return p;
    }
  }
  return compileActions(actions) as CheckedProgram;
}

/** Whether the list outputs (or enqueues) to `port`: the out_port filter of DELETE and flow stats. */
export function actionsOutputTo(actions: readonly OfpAction[], port: number): boolean {
  for (const a of actions)
    if ((a.type === OFPAT.OUTPUT || a.type === OFPAT.ENQUEUE) && a.port === port) return true;
  return false;
}
