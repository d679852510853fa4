/*
 * A Clock whose time moves only when the test says so. Timers run in due order (ties in creation
 * order) as advance() passes them; timers they create are run too if due within the same advance.
 */
import type { Clock, TimerHandle } from '../../src/openflow/channel/index.js';

interface Timer {
  id: number;
  due: number;
  delay: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private t = 1_000_000;
  private nextId = 1;
  private timers: Timer[] = [];
  /** Every delay ever passed to setTimeout, in order. */
  readonly delays: number[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, due: this.t + ms, delay: ms, fn };
    this.timers.push(timer);
    this.delays.push(ms);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }

  /** Delays of the timers still pending. */
  get pending(): number[] {
    return this.timers.map((x) => x.due - this.t);
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const x of this.timers)
        if (x.due <= end && (!next || x.due < next.due || (x.due === next.due && x.id < next.id))) next = x;
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = next.due;
      next.fn();
    }
    this.t = end;
  }
}
