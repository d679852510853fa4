/*
 * Waiting on state that changes by events (output arriving from a child process, a message or a
 * session from a peer) without polling or sleeping: the owner of the state calls notify() after
 * every change, and each pending wait runs its check again then.
 *
 * A check settles its wait by returning anything but undefined (the wait resolves with it) or by
 * throwing (the wait rejects with that error, e.g. "the process exited first"); after `timeoutMs`
 * the wait rejects with `timeoutMessage()`. A settled wait's check is removed and its timer cleared
 * at once, so it never runs again and never keeps the process alive.
 *
 * withDeadline() bounds a wait on a single promise the same way (timer cleared once it settles).
 */
export class Waiters {
  private readonly pending = new Set<() => void>();

  /** Runs every pending check (a check may settle and remove itself meanwhile). */
  notify(): void {
    for (const check of [...this.pending]) check();
  }

  /** Resolves with the first result of `check` other than undefined: at once, or on a later notify(). */
  until<T>(check: () => T | undefined, timeoutMs: number, timeoutMessage: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const settle = (then: () => void): void => {
        clearTimeout(timer);
        this.pending.delete(run);
        then();
      };
      const run = (): void => {
        let found: T | undefined;
        try {
          found = check();
        } catch (e) {
          return settle(() => reject(e as Error));
        }
        if (found !== undefined) settle(() => resolve(found));
      };
      const timer = setTimeout(() => settle(() => reject(new Error(timeoutMessage()))), timeoutMs);
      this.pending.add(run);
      run();
    });
  }
}

/** `p`, or a rejection with `message` if it has not settled within `ms` (a bound on failure only). */
export function withDeadline<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms))),
  ]).finally(() => clearTimeout(timer));
}
