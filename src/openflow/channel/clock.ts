/*
 * Time as the channel and connection manager see it, injectable so that tests of probes and
 * reconnect backoff advance a fake clock instead of sleeping.
 *
 * `now()` is in milliseconds and only ever compared with itself (monotonic in the real clock).
 */

export type TimerHandle = unknown;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The process clock: performance.now() and the global timers. */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};
