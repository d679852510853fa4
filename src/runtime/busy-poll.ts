/*
 * Busy polling after activity: once the event loop has handled a chunk from an OpenFlow connection,
 * keep the CPU busy for a short window watching for the next event before letting libuv block —
 * the user-space counterpart of Linux's busy_poll sockets and of the cpuidle haltpoll driver. Port
 * traffic does not start a window (see src/netdev/linux/io-loop.ts for why).
 *
 * Why: a request/response peer (ovs-ofctl sending FLOW_MOD+BARRIER one at a time, a ping through
 * the switch) answers within tens of microseconds, but by then a blocked event loop has let its CPU
 * halt, and waking a halted CPU costs an inter-processor interrupt — on a virtual machine a VM exit
 * and a host reschedule — on every message. Measured on this project's 2-vCPU VM (haltpoll's
 * guest_halt_poll_ns is 0 there): `ovs-ofctl add-flows` of 10,000 flows took 0.45–0.91 s into ofdp
 * without busy polling and 0.22–0.37 s with a 25–50 µs window, against 0.41–0.63 s for Open vSwitch
 * (whose many threads keep its CPUs awake), and ofdp's CPU per flow did not rise (the wake-ups it
 * saves cost CPU too). Pinning client and switch to one CPU, which removes the cross-CPU wake-up,
 * gave both switches the same 4× higher rate: the gap was the wake-up, not the switch.
 *
 * Cost and bounds: the window starts only after activity, so an idle switch never spins; a spin
 * ends as soon as anything is ready; at most `budget` of one core per 100 ms goes to spinning, so
 * a trickle of traffic just outside the window cannot turn the main thread into a 100 % poller.
 * Timers are delayed by at most one window. `--busy-poll 0` turns it off.
 *
 * One poller serves the process (the main event loop is one loop); producers call kickBusyPoll().
 */
import { openLoopReadiness } from './loop-readiness.js';

/** Default window, µs: covers ovs-ofctl's turnaround between a reply and its next request here. */
export const DEFAULT_BUSY_POLL_US = 50;
/** Default share of one core that spinning may use. */
export const DEFAULT_BUSY_POLL_BUDGET = 0.5;
const PERIOD_MS = 100;

export interface BusyPollDeps {
  /** Whether the loop has work now (see loop-readiness.ts). */
  ready(): boolean;
  /** Between two looks: yields the CPU to any other runnable task (see loop-readiness.ts). */
  relax(): void;
  /** Milliseconds, monotonic. */
  now(): number;
  /** Runs `fn` once the loop has finished handling the current events (setImmediate). */
  defer(fn: () => void): void;
}

export interface BusyPollStats {
  /** Spins started. */
  spins: number;
  /** Spins that ended because something became ready. */
  caught: number;
  /** Spins that ran their whole window. */
  expired: number;
  /** Kicks refused because the period's budget was spent. */
  overBudget: number;
  /** Total time spent spinning, ms. */
  spinMs: number;
}

export class BusyPoller {
  private windowMs = 0;
  private budgetMs = 0;
  private scheduled = false;
  private periodStart = -Infinity;
  private spentMs = 0;
  readonly stats: BusyPollStats = { spins: 0, caught: 0, expired: 0, overBudget: 0, spinMs: 0 };

  constructor(private readonly deps: BusyPollDeps) {}

  /** `windowUs` 0 disables; `budget` is the share of one core spinning may take (0..1]. */
  configure(windowUs: number, budget = DEFAULT_BUSY_POLL_BUDGET): void {
    if (!(windowUs >= 0) || !(budget > 0 && budget <= 1))
      throw new RangeError(`busy poll: bad window ${windowUs} µs or budget ${budget}`);
    this.windowMs = windowUs / 1000;
    this.budgetMs = budget * PERIOD_MS;
  }

  get windowUs(): number {
    return this.windowMs * 1000;
  }

  /** Asks for one spin after the current loop iteration's events (coalesced). */
  readonly kick = (): void => {
    if (this.scheduled || this.windowMs === 0) return;
    this.scheduled = true;
    this.deps.defer(this.spin);
  };

  private readonly spin = (): void => {
    this.scheduled = false;
    const { ready, relax, now } = this.deps;
    const t0 = now();
    if (t0 - this.periodStart >= PERIOD_MS) {
      this.periodStart = t0;
      this.spentMs = 0;
    }
    const allowance = this.budgetMs - this.spentMs;
    if (allowance <= 0) {
      this.stats.overBudget++;
      return;
    }
    const deadline = t0 + Math.min(this.windowMs, allowance);
    let t = t0;
    let caught = false;
    for (;;) {
      if (ready()) {
        caught = true;
        break;
      }
      relax();
      t = now();
      if (t >= deadline) break;
    }
    const spent = t - t0;
    this.spentMs += spent;
    this.stats.spins++;
    this.stats.spinMs += spent;
    if (caught) this.stats.caught++;
    else this.stats.expired++;
  };
}

let shared: BusyPoller | undefined;

/** Called by whatever just handled I/O; nothing happens unless busy polling is enabled. */
export function kickBusyPoll(): void {
  shared?.kick();
}

/**
 * Turns busy polling on for this process (or reconfigures it; `windowUs` 0 turns it off). Returns
 * the poller, or why it cannot run here.
 */
export function enableBusyPoll(windowUs: number, budget = DEFAULT_BUSY_POLL_BUDGET): BusyPoller | string {
  if (!shared) {
    if (windowUs === 0) return 'disabled';
    const probe = openLoopReadiness();
    if (typeof probe === 'string') return probe;
    shared = new BusyPoller({
      ready: probe.ready,
      relax: probe.relax,
      now: () => performance.now(),
      defer: (fn) => setImmediate(fn),
    });
  }
  shared.configure(windowUs, budget);
  return shared;
}
