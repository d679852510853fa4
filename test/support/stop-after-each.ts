/*
 * What a test started (switches, controllers, captures) is stopped when the test ends, pass or
 * fail, newest first, so a failed test never leaves a process attached to the next test's ports or
 * hosts. A thing with cleanup() (which also removes its files, e.g. a capture) is cleaned up,
 * otherwise stopped or closed. Every one is attempted even when one fails; the first failure is
 * then rethrown, so a cleanup that goes wrong is reported instead of hidden.
 */
import { afterEach } from 'vitest';

export type Stoppable =
  { stop(): Promise<unknown> } | { cleanup(): Promise<unknown> } | { close(): Promise<unknown> };

/**
 * Registers the afterEach hook in the enclosing describe and returns `owned`, which records
 * something to stop after the current test and hands it back.
 */
export function stopAfterEach(): <T extends Stoppable>(x: T) => T {
  const started: Stoppable[] = [];
  afterEach(async () => {
    const errors: unknown[] = [];
    for (const x of started.splice(0).reverse())
      await ('cleanup' in x ? x.cleanup() : 'stop' in x ? x.stop() : x.close()).catch((e: unknown) =>
        errors.push(e),
      );
    if (errors.length > 0) throw errors[0];
  });
  return (x) => {
    started.push(x);
    return x;
  };
}
