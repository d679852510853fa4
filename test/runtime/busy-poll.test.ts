/*
 * Busy polling (src/runtime/busy-poll.ts): the policy on a scripted clock, and the readiness probe
 * on the real event loop, woken by another process writing to a pipe the loop watches.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BusyPoller, type BusyPollDeps } from '../../src/runtime/busy-poll.js';
import { openLoopReadiness } from '../../src/runtime/loop-readiness.js';

/**
 * A scripted loop: time advances by `stepMs` per relax(); ready() turns true once `readyAtMs` is
 * reached. Deferred spins run only when the test calls runDeferred().
 */
function fakeLoop(stepMs = 0.001) {
  const state = { nowMs: 1000, readyAtMs: Infinity, looks: 0, relaxes: 0 };
  const deferred: (() => void)[] = [];
  const deps: BusyPollDeps = {
    ready: () => {
      state.looks++;
      return state.nowMs >= state.readyAtMs;
    },
    relax: () => {
      state.relaxes++;
      state.nowMs += stepMs;
    },
    now: () => state.nowMs,
    defer: (fn) => deferred.push(fn),
  };
  const runDeferred = (): number => {
    const fns = deferred.splice(0);
    for (const f of fns) f();
    return fns.length;
  };
  return { state, deps, runDeferred };
}

describe('BusyPoller policy', () => {
  it('does nothing until configured with a window, and nothing after 0 turns it off', () => {
    const { deps, runDeferred } = fakeLoop();
    const p = new BusyPoller(deps);
    p.kick();
    expect(runDeferred()).toBe(0);
    p.configure(50);
    p.kick();
    expect(runDeferred()).toBe(1);
    p.configure(0);
    p.kick();
    expect(runDeferred()).toBe(0);
    expect(p.stats.spins).toBe(1);
  });

  it('coalesces the kicks of one loop iteration into one spin', () => {
    const { deps, runDeferred } = fakeLoop();
    const p = new BusyPoller(deps);
    p.configure(50);
    for (let i = 0; i < 10; i++) p.kick();
    expect(runDeferred()).toBe(1);
    p.kick();
    expect(runDeferred()).toBe(1);
    expect(p.stats.spins).toBe(2);
  });

  it('stops as soon as the loop has work, yielding the CPU between looks', () => {
    const { state, deps, runDeferred } = fakeLoop(0.001);
    const p = new BusyPoller(deps);
    p.configure(50);
    state.readyAtMs = state.nowMs + 0.0105; // ready during the 11th relax
    p.kick();
    runDeferred();
    expect(p.stats).toMatchObject({ spins: 1, caught: 1, expired: 0 });
    expect(state.relaxes).toBe(11);
    expect(state.looks).toBe(12);
    expect(p.stats.spinMs).toBeCloseTo(0.011, 6);
  });

  it('gives up after the window when nothing comes', () => {
    const { state, deps, runDeferred } = fakeLoop(0.001);
    const p = new BusyPoller(deps);
    p.configure(50);
    p.kick();
    runDeferred();
    expect(p.stats).toMatchObject({ spins: 1, caught: 0, expired: 1 });
    expect(p.stats.spinMs).toBeGreaterThanOrEqual(0.05);
    expect(p.stats.spinMs).toBeLessThan(0.0515);
    expect(state.relaxes).toBe(Math.round(p.stats.spinMs / 0.001));
  });

  it('spends at most its budget of a 100 ms period, then waits for the next period', () => {
    const { state, deps, runDeferred } = fakeLoop(0.01);
    const p = new BusyPoller(deps);
    p.configure(1000, 0.02); // 1 ms windows, 2 ms per 100 ms period
    const start = state.nowMs;
    for (let i = 0; i < 5; i++) {
      p.kick();
      runDeferred();
    }
    // Two whole windows fit the budget; the third kick finds nothing left.
    expect(p.stats.spins).toBe(2);
    expect(p.stats.overBudget).toBe(3);
    expect(state.nowMs - start).toBeLessThan(2.1);
    state.nowMs = start + 100.5; // a new period
    p.kick();
    runDeferred();
    expect(p.stats.spins).toBe(3);
  });

  it('rejects a negative window and a budget outside (0, 1]', () => {
    const p = new BusyPoller(fakeLoop().deps);
    expect(() => p.configure(-1)).toThrow(RangeError);
    expect(() => p.configure(50, 0)).toThrow(RangeError);
    expect(() => p.configure(50, 1.5)).toThrow(RangeError);
  });
});

describe('loop readiness on the real event loop', () => {
  const probe = openLoopReadiness();
  if (typeof probe === 'string')
    console.warn(`*** SKIPPING loop readiness tests: ${probe} (busy polling is off on this platform) ***`);

  it.skipIf(typeof probe === 'string')(
    'sees a pipe the loop watches become readable while JavaScript is busy, and lets libuv read it',
    async () => {
      const p = probe as Exclude<typeof probe, string>;
      // `read` blocks until we write, then the child answers on stdout (a pipe libuv watches).
      const child = spawn('sh', ['-c', 'read line; echo "got $line"'], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      try {
        await once(child, 'spawn');
        // Let the loop settle (the spawn's own events) until nothing is pending.
        const settle = Date.now() + 5000;
        while (p.ready() && Date.now() < settle) await new Promise((r) => setImmediate(r));
        expect(p.ready()).toBe(false);

        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stdin.write('ping\n');
        // Synchronously, as a spin does: the loop cannot run, yet the probe sees the answer.
        const deadline = Date.now() + 10_000;
        let seen = false;
        while (!seen && Date.now() < deadline) {
          seen = p.ready();
          if (!seen) p.relax();
        }
        expect(seen).toBe(true);
        expect(out).toBe(''); // nothing was read while JavaScript held the thread

        await once(child.stdout, 'end'); // the child answers and exits; its pipe ends after the answer
        expect(out).toBe('got ping\n');
      } finally {
        child.kill();
      }
    },
  );
});
