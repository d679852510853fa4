/*
 * Two switches side by side for the ovs-ofctl comparison tests (issue #5): the same ovs-ofctl
 * command run against Open vSwitch and against ofdp, each result normalised with that switch's own
 * names (dpid, port names and MACs from its `show`, the target string) and durations, so the two can
 * be compared as equal text. Nothing else is normalised: every other difference stays visible.
 *
 * ovs-ofctl's own log lines (stderr) carry a wall-clock time stamp, which is the client's, not the
 * switch's; every run sets the console log pattern to leave it out (`-vPATTERN:console:…`), which
 * is an ovs-ofctl option rather than a rewrite of its output.
 *
 * `OfctlMonitor` keeps `ovs-ofctl monitor` running and lets a test wait for lines in its output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { normalizeOfctl, type OfctlOptions, type OfctlSwitch, type ToolResult } from './ovs/index.js';
import { Waiters } from './waiters.js';

/** Console log lines without the time stamp: sequence number, module, level, text. */
export const LOG_PATTERN = '-vPATTERN:console:%05N|%c|%p|%m';

/** `ping` round-trip times (`time=0.123 ms`), the one duration normalizeOfctl does not know. */
const PING_TIME = /(?<=\btime=)\d+(?:\.\d+)? ms\b/g;

export interface Normalised {
  code: number;
  stdout: string;
  stderr: string;
}

/** One switch as a comparison test sees it: where to send commands and how to name its tokens. */
export class Side {
  /** Token → placeholder; filled by learnNames() from the switch's own `show`. */
  names: Record<string, string> = {};

  constructor(
    readonly label: string,
    readonly sw: OfctlSwitch,
  ) {}

  /** Reads `show` and takes its dpid, port names and MACs as names (plus the target string). */
  async learnNames(placeholders: (show: string) => Record<string, string>): Promise<void> {
    const r = await this.sw.ofctl('show', [], { options: ['--no-names'] });
    if (r.code !== 0) throw new Error(`${this.label}: show failed (${r.code}): ${r.stderr}`);
    this.names = { ...placeholders(r.stdout), [this.sw.target]: '<target>' };
  }

  normalise(text: string): string {
    return normalizeOfctl(text, this.names).replace(PING_TIME, '<time> ms');
  }

  async run(command: string, args: readonly string[] = [], opts: OfctlOptions = {}): Promise<Normalised> {
    const r: ToolResult = await this.sw.ofctl(command, args, {
      ...opts,
      options: [LOG_PATTERN, ...(opts.options ?? [])],
    });
    return { code: r.code, stdout: this.normalise(r.stdout), stderr: this.normalise(r.stderr) };
  }
}

/** `ovs-ofctl monitor` kept running; `waitFor` resolves once a line matches. */
export class OfctlMonitor {
  private out = '';
  private readonly waiters = new Waiters();
  private readonly exited: Promise<unknown>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (b: Buffer) => {
      this.out += b.toString('utf8');
      this.waiters.notify();
    });
    child.stderr!.on('data', (b: Buffer) => {
      this.out += b.toString('utf8');
      this.waiters.notify();
    });
    this.exited = once(child, 'exit').catch(() => undefined);
    child.on('exit', () => this.waiters.notify());
  }

  /** Starts `ovs-ofctl -O OpenFlow10 monitor TARGET ARGS…`, inside `netns` when given. */
  static start(
    target: string,
    args: readonly string[],
    netns?: string,
    env?: Record<string, string>,
  ): OfctlMonitor {
    const argv = ['-O', 'OpenFlow10', LOG_PATTERN, 'monitor', target, ...args];
    const child = netns
      ? spawn('ip', ['netns', 'exec', netns, 'ovs-ofctl', ...argv], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, ...env },
        })
      : spawn('ovs-ofctl', argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    child.on('error', () => undefined);
    return new OfctlMonitor(child);
  }

  get output(): string {
    return this.out;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the output so far once `re` matches it (from offset `from`). */
  waitFor(re: RegExp, timeoutMs = 5000, from = 0): Promise<string> {
    return this.waiters.until(
      () => {
        if (re.test(this.out.slice(from))) return this.out;
        if (!this.running) throw new Error(`ovs-ofctl monitor exited before ${re}:\n${this.out}`);
        return undefined;
      },
      timeoutMs,
      () => `timed out after ${timeoutMs} ms waiting for ${re} in:\n${this.out}`,
    );
  }

  async stop(): Promise<void> {
    if (this.running) this.child.kill('SIGTERM');
    await this.exited;
  }
}
