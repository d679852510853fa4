/*
 * The inactivity probe of Open vSwitch's rconn: after `interval` ms in which nothing at all was
 * received, send one ECHO_REQUEST; if still nothing arrives within another `interval`, give up on
 * the peer.
 *
 * Receipt must be cheap (it runs for every chunk), so it only stamps a time; a single timer wakes
 * at the earliest moment something could be due and re-arms itself from the stamps. With a fake
 * Clock the whole sequence runs without real time passing.
 */
import type { Clock, TimerHandle } from './clock.js';

export interface ProbeActions {
  /** Nothing received for one interval: send an echo request. */
  probe(): void;
  /** Nothing received for another interval after the probe: disconnect. */
  expire(): void;
}

export class InactivityProbe {
  private lastRx: number;
  private probeSentAt = -1;
  private timer: TimerHandle | undefined;
  private readonly fire = (): void => this.check();

  /** `interval` <= 0 disables the probe. */
  constructor(
    private readonly clock: Clock,
    private readonly interval: number,
    private readonly actions: ProbeActions,
  ) {
    this.lastRx = clock.now();
    if (interval > 0) this.arm(interval);
  }

  /** Something arrived from the peer. */
  received(): void {
    this.lastRx = this.clock.now();
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = this.clock.setTimeout(this.fire, Math.max(0, ms));
  }

  private check(): void {
    this.timer = undefined;
    const now = this.clock.now();
    if (this.probeSentAt >= 0 && this.lastRx >= this.probeSentAt) this.probeSentAt = -1;
    if (this.probeSentAt < 0) {
      const idle = now - this.lastRx;
      if (idle < this.interval) return this.arm(this.interval - idle);
      this.probeSentAt = now;
      this.arm(this.interval);
      this.actions.probe();
      return;
    }
    const waited = now - this.probeSentAt;
    if (waited < this.interval) return this.arm(this.interval - waited);
    this.actions.expire();
  }
}
