/*
 * One OpenFlow 1.0 flow table: its rules, the classifier that finds them, and FLOW_MOD semantics.
 *
 * What: apply(flowMod) performs ADD / MODIFY / MODIFY_STRICT / DELETE / DELETE_STRICT as OpenFlow 1.0
 * and Open vSwitch define them; expire(now) applies idle and hard timeouts; select() finds the rules a
 * non-strict request (stats, MODIFY, DELETE) names. Removals the controller asked to hear about
 * (OFPFF_SEND_FLOW_REM) are handed to `onRemoved`.
 *
 * Semantics worth knowing:
 * - ADD with the match and priority of an existing flow replaces it, counters reset, with no
 *   flow-removed for the old one; with OFPFF_CHECK_OVERLAP any flow of the same priority that some
 *   frame could match too (identical ones included) fails the ADD with OFPFMFC_OVERLAP.
 * - MODIFY(_STRICT) replaces the actions and cookie of every flow it names and keeps counters,
 *   timeouts and flags; when it names none it is an ADD.
 * - DELETE(_STRICT) honours out_port (an OUTPUT or ENQUEUE to it); buffer_id is not ours to see.
 * - Exact-match flows (no wildcards after canonicalisation) rank above every wildcarded flow;
 *   the priority reported is always the one the controller sent.
 * - The table holds at most `maxEntries` flows; an ADD beyond that fails with ALL_TABLES_FULL.
 * - A flow-mod with several faults draws the error Open vSwitch gives (measured against OVS 3.1 by
 *   test/bridge/flow-mod-precedence.test.ts), checked in this order and each exactly once:
 *   BAD_COMMAND; then the actions, first fault in list order, for every command (DELETE too, as
 *   OVS decodes them); then an emergency flow-mod's timeouts (BAD_EMERG_TIMEOUT, every command);
 *   then the table: OVERLAP, then ALL_TABLES_FULL. A refused flow-mod leaves the table unchanged.
 *
 * Invariant: every change goes through add()/remove() here, which keep the classifier (which also
 * enumerates the rules) and the timed set (rules with a timeout, for expiry) in step. The owner
 * invalidates its flow cache after every apply() and every expire() that removed something.
 */
import { OFPET, OFPFC, OFPFF, OFPFMFC, OFPP, OFPRR } from '../openflow/constants.js';
import type { OfpAction } from '../openflow/actions.js';
import type { OfpMatch } from '../openflow/structs.js';
import { Classifier, type ClsRule } from './classifier.js';
import { DatapathError } from './errors.js';
import { KEY_WORDS } from './frame-key.js';
import { covers, isExactMask, matchToWords, overlaps, wordsToMatch } from './match.js';
import { actionsOutputTo, checkActions, validateActions, type CheckedProgram } from './program.js';

/**
 * The fields of an OFPT_FLOW_MOD the datapath acts on (buffer_id and xid stay with the bridge).
 * The datapath keeps `actions` as the flow's action list (do not mutate it afterwards) and copies
 * what it needs of `match`, so the object itself may be reused.
 */
export interface FlowModParams {
  match: OfpMatch;
  cookie: bigint;
  /** OFPFC_* */
  command: number;
  idle_timeout: number;
  hard_timeout: number;
  priority: number;
  /** OFPP_NONE for "any"; only DELETE and DELETE_STRICT look at it. */
  out_port: number;
  /** OFPFF_* */
  flags: number;
  actions: OfpAction[];
}

/** The body of an OFPT_FLOW_REMOVED. */
export interface FlowRemovedEvent {
  match: OfpMatch;
  cookie: bigint;
  priority: number;
  /** OFPRR_* */
  reason: number;
  duration_sec: number;
  duration_nsec: number;
  idle_timeout: number;
  packet_count: bigint;
  byte_count: bigint;
}

/** Rank of exact-match flows above every 16-bit priority. */
const EXACT_RANK_BASE = 0x10000;

export class FlowRule implements ClsRule {
  // The fields the fast path touches come first, so they share the object's first cache line.
  // Numeric fields start as numbers: a field first holding undefined would be stored boxed, and
  // every per-frame write of a double to it would allocate.
  packets = 0;
  bytes = 0;
  lastUsedMs = 0;
  /** Copy of program.singleOutput. */
  singleOutput = -1;
  program: CheckedProgram;
  clsNext: ClsRule | null = null;
  /** Shared by every rule with the same mask (interned by the classifier). */
  readonly mask: Int32Array;
  readonly value: Int32Array;
  readonly rank: number;
  readonly priority: number;
  cookie: bigint;
  readonly idleTimeout: number;
  readonly hardTimeout: number;
  readonly flags: number;
  /** The flow-mod's action list, kept as given (the datapath owns it from then on; never mutated). */
  actions: OfpAction[];
  readonly createdMs: number = 0;
  /** Creation order, for stable stats replies. */
  readonly seq = ++ruleSeq;

  constructor(fm: FlowModParams, program: CheckedProgram, mask: Int32Array, value: Int32Array, now: number) {
    this.mask = mask;
    this.value = value;
    this.priority = fm.priority;
    this.rank = isExactMask(mask) ? EXACT_RANK_BASE + fm.priority : fm.priority;
    this.cookie = fm.cookie;
    this.idleTimeout = fm.idle_timeout;
    this.hardTimeout = fm.hard_timeout;
    this.flags = fm.flags;
    this.actions = fm.actions;
    this.program = program;
    this.singleOutput = program.singleOutput;
    this.createdMs = now;
    this.lastUsedMs = now;
  }

  /** The canonical match, as reported in stats and flow-removed (built on demand: slow path only). */
  get match(): OfpMatch {
    return wordsToMatch(this.mask, this.value);
  }
}

let ruleSeq = 0;

export function durationOf(createdMs: number, now: number): { duration_sec: number; duration_nsec: number } {
  const d = Math.max(0, now - createdMs);
  const sec = Math.floor(d / 1000);
  return { duration_sec: sec, duration_nsec: Math.min(999_999_999, Math.round((d - sec * 1000) * 1e6)) };
}

export class FlowTable {
  readonly cls = new Classifier<FlowRule>();
  private readonly timed = new Set<FlowRule>();
  private readonly qMask = new Int32Array(KEY_WORDS);
  private readonly qValue = new Int32Array(KEY_WORDS);

  constructor(
    public maxEntries: number,
    /** Whether this is the emergency table: flows with timeouts are refused. */
    readonly emergency: boolean,
    private readonly onRemoved: (ev: FlowRemovedEvent) => void,
  ) {}

  get size(): number {
    return this.cls.size;
  }

  /**
   * Applies a flow-mod; throws DatapathError when refused, leaving the table unchanged (checks in
   * the order the header comment gives). Returns the checked program an ADD or MODIFY installed
   * (what a buffered packet it names is run through), undefined for a DELETE.
   */
  apply(fm: FlowModParams, now: number): CheckedProgram | undefined {
    const command = fm.command;
    if (command !== OFPFC.ADD && command !== OFPFC.MODIFY && command !== OFPFC.MODIFY_STRICT) {
      if (command !== OFPFC.DELETE && command !== OFPFC.DELETE_STRICT)
        throw new DatapathError(OFPET.FLOW_MOD_FAILED, OFPFMFC.BAD_COMMAND, `flow_mod command ${command}`);
      validateActions(fm.actions);
      this.checkEmergencyTimeouts(fm);
      const hits = this.select(fm.match, command === OFPFC.DELETE_STRICT ? fm.priority : -1, fm.out_port);
      for (const r of hits) this.removeRule(r, OFPRR.DELETE, now);
      return undefined;
    }
    const program = checkActions(fm.actions);
    this.checkEmergencyTimeouts(fm);
    if (command === OFPFC.ADD) {
      this.add(fm, program, now);
      return program;
    }
    const hits = this.select(fm.match, command === OFPFC.MODIFY_STRICT ? fm.priority : -1, OFPP.NONE);
    if (hits.length === 0) {
      this.add(fm, program, now);
      return program;
    }
    for (const r of hits) {
      r.actions = fm.actions;
      r.program = program;
      r.singleOutput = program.singleOutput;
      r.cookie = fm.cookie;
    }
    return program;
  }

  private checkEmergencyTimeouts(fm: FlowModParams): void {
    if (this.emergency && (fm.idle_timeout !== 0 || fm.hard_timeout !== 0))
      throw new DatapathError(
        OFPET.FLOW_MOD_FAILED,
        OFPFMFC.BAD_EMERG_TIMEOUT,
        `emergency flow-mod with idle_timeout ${fm.idle_timeout}, hard_timeout ${fm.hard_timeout}`,
      );
  }

  private add(fm: FlowModParams, program: CheckedProgram, now: number): void {
    const qMask = this.qMask;
    const qValue = this.qValue;
    matchToWords(fm.match, qMask, qValue);
    if (fm.flags & OFPFF.CHECK_OVERLAP) {
      // A rare flag: a scan of the table is cheaper overall than an index kept for it.
      for (const r of this.cls.rules())
        if (r.priority === fm.priority && overlaps(r.mask, r.value, qMask, qValue))
          throw new DatapathError(
            OFPET.FLOW_MOD_FAILED,
            OFPFMFC.OVERLAP,
            `overlaps a flow of priority ${fm.priority}`,
          );
    }
    const rule = new FlowRule(fm, program, this.cls.internMask(qMask), qValue.slice(), now);
    if (this.cls.size >= this.maxEntries && !this.cls.findStrict(rule.mask, rule.value, rule.rank))
      throw new DatapathError(
        OFPET.FLOW_MOD_FAILED,
        OFPFMFC.ALL_TABLES_FULL,
        `table full (${this.maxEntries} flows)`,
      );
    const old = this.cls.insert(rule);
    if (old) this.timed.delete(old);
    if (rule.idleTimeout !== 0 || rule.hardTimeout !== 0) this.timed.add(rule);
  }

  /**
   * The rules a request names: with `strictPriority` ≥ 0 the one flow of exactly that match and
   * priority, otherwise every flow the match covers; either way only those outputting to `outPort`
   * unless it is OFPP_NONE.
   */
  select(match: OfpMatch, strictPriority: number, outPort: number): FlowRule[] {
    const out: FlowRule[] = [];
    matchToWords(match, this.qMask, this.qValue);
    if (strictPriority >= 0) {
      const rank = isExactMask(this.qMask) ? EXACT_RANK_BASE + strictPriority : strictPriority;
      const r = this.cls.findStrict(this.qMask, this.qValue, rank);
      if (r && (outPort === OFPP.NONE || actionsOutputTo(r.actions, outPort))) out.push(r);
      return out;
    }
    for (const r of this.cls.rules())
      if (
        covers(this.qMask, this.qValue, r.mask, r.value) &&
        (outPort === OFPP.NONE || actionsOutputTo(r.actions, outPort))
      )
        out.push(r);
    // Oldest first, so replies do not depend on hash order.
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** Removes flows whose idle or hard timeout has passed; returns how many. */
  expire(now: number): number {
    let n = 0;
    for (const r of this.timed) {
      if (r.hardTimeout !== 0 && now - r.createdMs >= r.hardTimeout * 1000) {
        this.removeRule(r, OFPRR.HARD_TIMEOUT, now);
        n++;
      } else if (r.idleTimeout !== 0 && now - r.lastUsedMs >= r.idleTimeout * 1000) {
        this.removeRule(r, OFPRR.IDLE_TIMEOUT, now);
        n++;
      }
    }
    return n;
  }

  /** The earliest time at which expire() could remove something, or Infinity. */
  nextExpiry(): number {
    let t = Infinity;
    for (const r of this.timed) {
      if (r.hardTimeout !== 0) t = Math.min(t, r.createdMs + r.hardTimeout * 1000);
      if (r.idleTimeout !== 0) t = Math.min(t, r.lastUsedMs + r.idleTimeout * 1000);
    }
    return t;
  }

  /** Removes every flow without flow-removed messages (entering emergency mode, shutdown). */
  clear(): void {
    this.cls.clear();
    this.timed.clear();
  }

  removeRule(r: FlowRule, reason: number, now: number): void {
    this.remove(r);
    if (r.flags & OFPFF.SEND_FLOW_REM)
      this.onRemoved({
        match: r.match,
        cookie: r.cookie,
        priority: r.priority,
        reason,
        ...durationOf(r.createdMs, now),
        idle_timeout: r.idleTimeout,
        packet_count: BigInt(r.packets),
        byte_count: BigInt(r.bytes),
      });
  }

  private remove(r: FlowRule): void {
    this.cls.remove(r);
    this.timed.delete(r);
  }
}
