/*
 * Benchmark harness: every case prints one line `bench <case> <value> <unit>`.
 *
 * Benchmarks are not tests: they assert nothing and never run under vitest. Each bench/*.bench.ts
 * exports `run(report)`; run.ts loads them all (or those named on the command line).
 */

export type Report = (name: string, value: number, unit: string) => void;

export const report: Report = (name, value, unit) => {
  const v = value >= 100 ? Math.round(value).toString() : value.toPrecision(4);
  console.log(`bench ${name} ${v} ${unit}`);
};

/**
 * Runs `fn` (which performs `opsPerCall` operations) repeatedly for about `seconds` after a warm-up
 * and returns operations per second, the best of `rounds` rounds.
 */
export function rate(fn: () => void, opsPerCall = 1, seconds = 0.5, rounds = 3): number {
  const warmEnd = performance.now() + 150;
  while (performance.now() < warmEnd) fn();
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    let calls = 0;
    const start = performance.now();
    const end = start + seconds * 1000;
    let now = start;
    while (now < end) {
      for (let i = 0; i < 16; i++) fn();
      calls += 16;
      now = performance.now();
    }
    best = Math.max(best, (calls * opsPerCall) / ((now - start) / 1000));
  }
  return best;
}
