/*
 * `ofdp run` as a child process for the tests that run the switch as users do (CLI, fault and
 * controller integration tests), plus the small pieces those tests share: free TCP ports, waiting
 * for a tool's listening socket, and a loopback capture with tcpdump decoded by
 * `ovs-ofctl ofp-parse-pcap` (an oracle independent of our own codec).
 *
 * ofdp runs from the compiled CLI (bin/ofdp.js → dist/, built before the suite by `npm test`),
 * with a private rundir so its .mgmt socket never collides with another test's. Its log is kept
 * line by line so a test waits for log events ("connected", "vanished") instead of sleeping.
 *
 * A separate process, not startSwitch() in the test's own process: fault tests kill and recreate
 * things under the switch and must see it survive as users run it; and ovs-ofctl run synchronously
 * could never get an answer from a switch living in the blocked test process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SslOptions } from '../../src/connmgr/index.js';
import { ofctl as runOfctl } from './ovs/ofctl.js';
import { runTool, waitFor } from './ovs/tools.js';
import { WatchedProcess } from './watched-process.js';

export const OFDP_BIN = fileURLToPath(new URL('../../bin/ofdp.js', import.meta.url));

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Resolves once something listens on 127.0.0.1:`port` (polled with `ss`, no probe connection). */
export async function waitListening(port: number, owner: WatchedProcess, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    `a listener on 127.0.0.1:${port} (${owner.label})`,
    async () => {
      if (!owner.running) throw new Error(`${owner.label} exited:\n${owner.output()}`);
      const r = await runTool('ss', ['-Hltn', `sport = :${port}`]);
      return r.code === 0 && r.stdout.includes(`:${port}`);
    },
    timeoutMs,
    20,
  );
}

export interface OfdpOptions {
  bridge: string;
  /** `TYPE:NAME[=OFPORT]` each. */
  ports?: string[];
  controllers?: string[];
  listen?: string[];
  failMode?: 'standalone' | 'secure' | 'emergency';
  dpid?: string;
  /** Create the LOCAL port (default false: these tests do not need it). */
  local?: boolean;
  /** Default: ofdp's own (info). */
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** Key, certificate and CA for ssl: and pssl: targets. */
  ssl?: SslOptions;
  /** Run directory to use (e.g. a killed instance's, to restart over its stale .mgmt socket). */
  rundir?: string;
}

/** `ofdp run`'s flags for `opts`, but for --rundir. */
function runFlags(opts: OfdpOptions): string[] {
  const args = ['--bridge', opts.bridge];
  if (opts.local !== true) args.push('--no-local');
  if (opts.logLevel) args.push('--log-level', opts.logLevel);
  if (opts.dpid) args.push('--dpid', opts.dpid);
  if (opts.failMode) args.push('--fail-mode', opts.failMode);
  for (const p of opts.ports ?? []) args.push('--port', p);
  for (const c of opts.controllers ?? []) args.push('--controller', c);
  for (const l of opts.listen ?? []) args.push('--listen', l);
  if (opts.ssl)
    args.push(
      '--private-key',
      opts.ssl.privateKey,
      '--certificate',
      opts.ssl.certificate,
      '--ca-cert',
      opts.ssl.caCert,
    );
  return args;
}

export class OfdpProcess {
  readonly proc: WatchedProcess;
  readonly rundir: string;
  /** The TCP ports of its ptcp: listeners, as bound (ptcp:0 resolved); filled in by start(). */
  tcpPorts: number[] = [];

  /** Starts it without waiting (see start()). */
  constructor(readonly opts: OfdpOptions) {
    this.rundir = opts.rundir ?? mkdtempSync(join(tmpdir(), 'ofdp-run-'));
    this.proc = new WatchedProcess(`ofdp run (${opts.bridge})`, process.execPath, [
      OFDP_BIN,
      'run',
      '--rundir',
      this.rundir,
      ...runFlags(opts),
    ]);
  }

  /**
   * Starts it and resolves once its start-up line ("…; listening on …") is logged, i.e. its ports
   * are open and its listeners bound.
   */
  static async start(opts: OfdpOptions, timeoutMs = 20_000): Promise<OfdpProcess> {
    const p = new OfdpProcess(opts);
    try {
      const line = await p.waitForLog(/listening on/, timeoutMs);
      const listeners = line.slice(line.indexOf('listening on'));
      p.tcpPorts = [...listeners.matchAll(/ptcp:(\d+)/g)].map((x) => Number(x[1]));
    } catch (e) {
      await p.stop();
      throw e;
    }
    return p;
  }

  /** `unix:<rundir>/<bridge>.mgmt`, for ovs-ofctl. */
  get mgmt(): string {
    return `unix:${join(this.rundir, `${this.opts.bridge}.mgmt`)}`;
  }

  get running(): boolean {
    return this.proc.running;
  }

  /** The complete log lines so far. */
  get lines(): string[] {
    return completeLines(this.proc.output());
  }

  /**
   * Resolves with the first log line matching `re` from line `from` on (default: any line so far);
   * rejects after `timeoutMs`, or at once if the process exits first.
   */
  waitForLog(re: RegExp, timeoutMs = 10_000, from = 0): Promise<string> {
    return this.proc.waitUntil(
      `a log line matching ${re}`,
      (out) =>
        completeLines(out)
          .slice(from)
          .find((l) => re.test(l)),
      timeoutMs,
    );
  }

  /**
   * SIGTERM, wait for the exit (SIGKILL after 5 s), remove the rundir unless `keepRundir`; returns
   * the exit code.
   */
  async stop(keepRundir = false): Promise<number | null> {
    await this.proc.stop();
    if (!keepRundir) rmSync(this.rundir, { recursive: true, force: true });
    return this.proc.child.exitCode;
  }

  /** SIGKILL, as a crash: nothing is cleaned up (the rundir and its .mgmt socket stay). */
  async crash(): Promise<void> {
    await this.proc.stop('SIGKILL');
  }
}

/** `text` up to its last newline, as lines (a line still being written is left out). */
function completeLines(text: string): string[] {
  const lines = text.split('\n');
  lines.pop();
  return lines;
}

/** `ovs-ofctl -O OpenFlow10 -t 10 ARGS…`'s stdout; rejects unless it exits 0. */
export async function ofctl(...args: string[]): Promise<string> {
  const r = await runOfctl(args);
  if (r.code !== 0) throw new Error(`ovs-ofctl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** One OpenFlow message as `ovs-ofctl ofp-parse-pcap` printed it. */
export interface PrintedMessage {
  srcPort: number;
  dstPort: number;
  /** OFPT_… name. */
  type: string;
  /** The whole printed text of the message (first line and any continuation lines). */
  text: string;
  /** buffer_id when the message names one (`buffer=0x…` in packet-in/out, `buf:0x…` in flow-mod). */
  bufferId?: number;
}

/** Parses `ovs-ofctl ofp-parse-pcap` output into messages with their direction. */
export function parsePrintedPcap(out: string): PrintedMessage[] {
  const msgs: PrintedMessage[] = [];
  let cur: PrintedMessage | undefined;
  for (const line of out.split('\n')) {
    const dir = /^\S+\.(\d+) > \S+\.(\d+):$/.exec(line);
    if (dir) {
      cur = { srcPort: Number(dir[1]), dstPort: Number(dir[2]), type: '', text: '' };
      msgs.push(cur);
      continue;
    }
    if (!cur || line.trim() === '') continue;
    if (cur.type === '') cur.type = /^(OFPT_\w+)/.exec(line)?.[1] ?? line.split(' ')[0]!;
    cur.text += `${line}\n`;
  }
  for (const m of msgs) {
    const b = /(?:buffer=|buf:)0x([0-9a-f]+)/.exec(m.text);
    if (b) m.bufferId = parseInt(b[1]!, 16);
  }
  return msgs;
}

/** tcpdump on lo for one TCP port, writing a classic pcap; decode() after stop(). */
export class LoopbackCapture {
  readonly file: string;
  private readonly dir: string;
  private proc: WatchedProcess | undefined;

  constructor(readonly port: number) {
    this.dir = mkdtempSync(join(tmpdir(), 'ofdp-cap-'));
    this.file = join(this.dir, 'of.pcap');
  }

  /** Resolves once tcpdump is capturing (it says "listening on" when its filter is in place). */
  async start(): Promise<void> {
    this.proc = new WatchedProcess('tcpdump', 'tcpdump', [
      '-i',
      'lo',
      '-U',
      '--immediate-mode',
      '-Z',
      'root',
      '-s',
      '0',
      '-w',
      this.file,
      'tcp',
      'port',
      String(this.port),
    ]);
    await this.proc.waitForOutput(/listening on/, 10_000);
  }

  /**
   * Decodes the file as written so far (-U writes each packet as it comes) until `pred` holds, so
   * stop() does not cut off messages still on their way; rejects after `timeoutMs`.
   */
  async waitForMessages(
    pred: (msgs: PrintedMessage[]) => boolean,
    timeoutMs = 5000,
  ): Promise<PrintedMessage[]> {
    let last: PrintedMessage[] = [];
    try {
      return await waitFor(
        'the expected OpenFlow messages in the capture',
        async () => {
          last = await this.decode();
          return pred(last) && last;
        },
        timeoutMs,
        50,
      );
    } catch (e) {
      const seen = last.map((m) => `${m.srcPort}>${m.dstPort} ${m.text.split('\n')[0]}`).join('\n');
      throw new Error(`${(e as Error).message}; captured:\n${seen}`);
    }
  }

  /** Stops tcpdump (SIGINT flushes the file) and waits for it. */
  async stop(): Promise<void> {
    await this.proc?.stop('SIGINT');
  }

  /** The captured OpenFlow messages, decoded by ovs-ofctl. */
  async decode(): Promise<PrintedMessage[]> {
    const r = await runTool('ovs-ofctl', ['ofp-parse-pcap', this.file, String(this.port)]);
    if (r.code !== 0) throw new Error(`ovs-ofctl ofp-parse-pcap failed (${r.code}): ${r.stderr}`);
    return parsePrintedPcap(r.stdout);
  }

  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
