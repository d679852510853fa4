/*
 * Long-running tools a test talks to (ofdp run, ovs-testcontroller, osken-manager, tcpdump),
 * started as children whose output is collected as it is written.
 *
 * Why: none of these tools says "ready" or "done" through an exit code; each says it in its log
 * (ofdp's start-up line, os-ken's TEST_FINISHED, tcpdump's "listening on"). `waitForOutput`
 * resolves on the data event that completes the pattern, so tests never sleep, and it rejects at
 * once when the process exits first, with the log in the message. `stop()` signals this child by
 * its own PID (never by name) and waits for it to be gone, escalating to SIGKILL after a grace
 * period; it is idempotent, so afterAll/finally can always call it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Waiters } from './waiters.js';

export interface WatchedOptions {
  env?: Record<string, string>;
  cwd?: string;
}

export class WatchedProcess {
  readonly child: ChildProcess;
  private log = '';
  private readonly waiters = new Waiters();
  private readonly exited: Promise<void>;
  private closed = false;

  constructor(
    readonly label: string,
    cmd: string,
    args: readonly string[],
    opts: WatchedOptions = {},
  ) {
    this.child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    const onData = (d: Buffer): void => {
      this.log += d.toString('utf8');
      this.waiters.notify();
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.exited = new Promise<void>((resolve) => {
      this.child.once('error', (e) => {
        this.log += `\n[spawn error: ${e.message}]`;
        resolve();
      });
      this.child.once('close', () => resolve());
    }).then(() => {
      this.closed = true;
      this.waiters.notify();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Everything written to stdout and stderr so far, interleaved as it arrived. */
  output(): string {
    return this.log;
  }

  /** Until the process has exited *and* its output has all been read ('close'). */
  get running(): boolean {
    return !this.closed;
  }

  /**
   * Resolves with the first match of `pattern` in the output (already there, or when it arrives);
   * rejects if the process exits first or after `timeoutMs`.
   */
  waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    return this.waitUntil(String(pattern), (log) => log.match(pattern) ?? undefined, timeoutMs);
  }

  /**
   * Resolves with the first result of `probe` other than undefined, tried on the output so far and
   * again as each chunk arrives; rejects (naming `what`) if the process exits first or after
   * `timeoutMs`.
   */
  waitUntil<T>(what: string, probe: (output: string) => T | undefined, timeoutMs = 10_000): Promise<T> {
    return this.waiters.until(
      () => {
        const found = probe(this.log);
        if (found === undefined && !this.running)
          throw new Error(`${this.label} exited (${this.describeExit()}) before ${what}:\n${this.tail()}`);
        return found;
      },
      timeoutMs,
      () => `${this.label}: no ${what} within ${timeoutMs} ms:\n${this.tail()}`,
    );
  }

  /** Signals the process (SIGTERM by default) and waits until it is gone; SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) {
      this.child.kill(signal);
      const killer = setTimeout(() => {
        if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
      }, graceMs);
      await this.exited;
      clearTimeout(killer);
    }
    await this.exited;
  }

  /** Resolves when the process has exited by itself. */
  exit(): Promise<void> {
    return this.exited;
  }

  private describeExit(): string {
    return this.child.signalCode ?? String(this.child.exitCode);
  }

  private tail(lines = 40): string {
    return this.log.split('\n').slice(-lines).join('\n');
  }
}
