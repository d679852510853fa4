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

export class OfctlMonitor {
  private out = '';
  private err = '';
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();
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
      this.notify();
    });
    // ovs-ofctl 3.1 prints the asynchronous messages it monitors on stderr, so both streams count.
    this.child.stderr!.on('data', (d: Buffer) => {
      this.err += d.toString();
      this.out += d.toString();
      this.notify();
    });
    this.child.once('exit', () => {
      this.exited = true;
      this.notify();
    });
  }

  static async start(target: string, dir: string, missLen = 65534): Promise<OfctlMonitor> {
    const m = new OfctlMonitor(target, dir, missLen);
    try {
      await m.until('monitor ready', () => (m.err.match(/received: OFPT_BARRIER_REPLY/g)?.length ?? 0) >= 3);
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
  async waitFor(re: RegExp, timeoutMs = 10_000, from = 0): Promise<RegExpExecArray> {
    let found: RegExpExecArray | null = null;
    await this.until(
      `monitor output ${re}`,
      () => (found = re.exec(this.out.slice(from))) !== null,
      timeoutMs,
    );
    return found!;
  }

  private until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (cond()) return done(resolve);
        if (this.exited)
          done(() => reject(new Error(`ovs-ofctl monitor exited before ${what}:\n${this.out}\n${this.err}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no ${what} within ${timeoutMs} ms:\n${this.out.slice(-3000)}`))),
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

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  stop(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}
