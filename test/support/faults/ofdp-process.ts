/*
 * `ofdp run` as a child process for fault tests: the compiled CLI (bin/ofdp.js → dist/, built by
 * `npm test` before vitest), its stderr log kept line by line so a test waits for log events
 * ("connected", "vanished") instead of sleeping, and a private rundir for the .mgmt socket.
 *
 * A separate process, not startSwitch() in the test's own process: fault tests kill and recreate
 * things under the switch and must see it survive as users run it; and ovs-ofctl run synchronously
 * could never get an answer from a switch living in the blocked test process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '../../../bin/ofdp.js');

export interface OfdpOptions {
  bridge: string;
  /** `TYPE:NAME[=OFPORT]` each. */
  ports?: string[];
  controllers?: string[];
  listen?: string[];
  failMode?: 'standalone' | 'secure' | 'emergency';
  dpid?: string;
  /** Create the LOCAL port (default false: fault tests do not need it). */
  local?: boolean;
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** Run directory to use (e.g. a killed instance's, to restart over its stale .mgmt socket). */
  rundir?: string;
}

export class OfdpProcess {
  readonly lines: string[] = [];
  readonly rundir: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();
  private exitCode: number | null | undefined;

  constructor(readonly opts: OfdpOptions) {
    this.rundir = opts.rundir ?? mkdtempSync(join(tmpdir(), 'ofdp-fault-'));
    const args = [BIN, 'run', '--bridge', opts.bridge, '--log-level', opts.logLevel ?? 'info'];
    if (opts.local !== true) args.push('--no-local');
    if (opts.dpid) args.push('--dpid', opts.dpid);
    if (opts.failMode) args.push('--fail-mode', opts.failMode);
    for (const p of opts.ports ?? []) args.push('--port', p);
    for (const c of opts.controllers ?? []) args.push('--controller', c);
    for (const l of opts.listen ?? []) args.push('--listen', l);
    this.child = spawn('node', args, {
      env: { ...process.env, OFDP_RUNDIR: this.rundir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let partial = '';
    this.child.stderr!.on('data', (d: Buffer) => {
      partial += d.toString();
      const parts = partial.split('\n');
      partial = parts.pop()!;
      this.lines.push(...parts);
      this.notify();
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        this.exitCode = code;
        this.notify();
        resolve(code);
      }),
    );
  }

  /** `unix:<rundir>/<bridge>.mgmt`, for ovs-ofctl. */
  get mgmt(): string {
    return `unix:${join(this.rundir, `${this.opts.bridge}.mgmt`)}`;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Starts it and resolves once the start-up line is logged. */
  static async start(opts: OfdpOptions, timeoutMs = 15_000): Promise<OfdpProcess> {
    const p = new OfdpProcess(opts);
    try {
      await p.waitForLog(/listening on/, timeoutMs);
    } catch (e) {
      await p.stop();
      throw e;
    }
    return p;
  }

  /**
   * Resolves with the first log line matching `re` from line `from` on (default: any line so far);
   * rejects after `timeoutMs`, or at once if the process exits first.
   */
  waitForLog(re: RegExp, timeoutMs = 10_000, from = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      let seen = from;
      const check = (): void => {
        for (; seen < this.lines.length; seen++)
          if (re.test(this.lines[seen]!)) return done(() => resolve(this.lines[seen]!));
        if (!this.running)
          done(() =>
            reject(new Error(`ofdp exited (${this.exitCode}) before logging ${re}:\n${this.log()}`)),
          );
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`ofdp logged no ${re} within ${timeoutMs} ms:\n${this.log()}`))),
        timeoutMs,
      );
      const done = (f: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        f();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The log so far, for failure messages. */
  log(): string {
    return this.lines.join('\n');
  }

  /**
   * SIGTERM, wait for the exit (SIGKILL after 5 s), remove the rundir unless `keepRundir`; returns
   * the exit code.
   */
  async stop(keepRundir = false): Promise<number | null> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(t);
    }
    if (!keepRundir) rmSync(this.rundir, { recursive: true, force: true });
    return this.exitCode ?? null;
  }

  /** SIGKILL, as a crash: nothing is cleaned up (the rundir and its .mgmt socket stay). */
  async crash(): Promise<void> {
    if (this.running) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}
