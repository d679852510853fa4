/*
 * `ovs-ofctl -O OpenFlow10 monitor TARGET MISSLEN` kept running in the background, its stdout
 * collected, so a test waits for an asynchronous message (PORT_STATUS, PACKET_IN) to be printed.
 *
 * Readiness: monitor first sets miss_send_len (SET_CONFIG + BARRIER), then tries two Nicira
 * packet-in formats, each with a barrier (clients.md §3); messages that arrive before that
 * handshake is over are discarded by ovs-ofctl as unexpected replies. So we run it with -vvconn
 * and call it ready once the third BARRIER_REPLY is logged. Its unixctl socket goes to `dir`
 * (the default /var/run/openvswitch may not exist).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Waiters } from '../waiters.js';

export class OfctlMonitor {
  private out = '';
  private err = '';
  private readonly child: ChildProcess;
  private readonly waiters = new Waiters();
  private exited = false;

  constructor(target: string, dir: string, missLen = 65534) {
    // stdout is a pipe, which ovs-ofctl's stdio would fill in blocks: ask for lines.
    this.child = spawn(
      'stdbuf',
      [
        '-oL',
        'ovs-ofctl',
        '-O',
        'OpenFlow10',
        '-vvconn',
        `--unixctl=${join(dir, `monitor-${process.pid}.ctl`)}`,
        'monitor',
        target,
        String(missLen),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString();
      this.waiters.notify();
    });
    // ovs-ofctl 3.1 prints the asynchronous messages it monitors on stderr, so both streams count.
    this.child.stderr!.on('data', (d: Buffer) => {
      this.err += d.toString();
      this.out += d.toString();
      this.waiters.notify();
    });
    this.child.once('exit', () => {
      this.exited = true;
      this.waiters.notify();
    });
  }

  static async start(target: string, dir: string, missLen = 65534): Promise<OfctlMonitor> {
    const m = new OfctlMonitor(target, dir, missLen);
    try {
      await m.until('monitor ready', () =>
        (m.err.match(/received: OFPT_BARRIER_REPLY/g)?.length ?? 0) >= 3 ? true : undefined,
      );
    } catch (e) {
      m.stop();
      throw e;
    }
    return m;
  }

  /** What the monitor printed so far (stdout and stderr, as they arrived). */
  get output(): string {
    return this.out;
  }

  /** Resolves with the first match of `re` in stdout at or after character `from`. */
  waitFor(re: RegExp, timeoutMs = 10_000, from = 0): Promise<RegExpExecArray> {
    return this.until(`monitor output ${re}`, () => re.exec(this.out.slice(from)) ?? undefined, timeoutMs);
  }

  /** Resolves with the first result of `probe` other than undefined; rejects if ovs-ofctl exits first. */
  private until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
    return this.waiters.until(
      () => {
        const found = probe();
        if (found === undefined && this.exited)
          throw new Error(`ovs-ofctl monitor exited before ${what}:\n${this.out}\n${this.err}`);
        return found;
      },
      timeoutMs,
      () => `no ${what} within ${timeoutMs} ms:\n${this.out.slice(-3000)}`,
    );
  }

  stop(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}
