/*
 * Running command-line tools without blocking the event loop, and polling real conditions.
 *
 * Everything is asynchronous on purpose: a test may run ofdp in the same process, and a
 * synchronous `execFileSync('ovs-ofctl', …)` against it would deadlock (the switch could never
 * answer). A tool that outlives its deadline is killed, so a hung client fails the test instead of
 * hanging it.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

export interface ToolResult {
  stdout: string;
  stderr: string;
  /** Exit code; a death by signal is reported as 128 + signal number, as a shell would. */
  code: number;
  /** The signal that ended it (e.g. SIGALRM for `ovs-ofctl -t`), if any. */
  signal?: NodeJS.Signals;
  /** Wall-clock milliseconds from spawn to exit. */
  ms: number;
}

export interface ToolOptions {
  /** Written to stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string | Buffer;
  /** Hard deadline in milliseconds (default 30 s); past it the tool gets SIGKILL. */
  timeoutMs?: number;
  /** Run inside this network namespace (`ip netns exec NAME …`). */
  netns?: string;
  /** Extra environment variables (added to this process's environment). */
  env?: Record<string, string>;
}

/** Runs `cmd args…` and resolves with its output and exit status; never rejects on failure. */
export function runTool(cmd: string, args: readonly string[], opts: ToolOptions = {}): Promise<ToolResult> {
  const argv = opts.netns ? ['netns', 'exec', opts.netns, cmd, ...args] : [...args];
  const file = opts.netns ? 'ip' : cmd;
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => {}); // the tool may exit without reading everything
      child.stdin!.end(opts.input);
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const r: ToolResult = {
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code: code ?? 128 + (signal ? constants.signals[signal] : 0),
        ms: performance.now() - start,
      };
      if (signal) r.signal = signal;
      resolve(r);
    });
  });
}

/** Like runTool, but rejects with the command line and stderr unless the exit code is 0. */
export async function mustRun(cmd: string, args: readonly string[], opts: ToolOptions = {}): Promise<string> {
  const r = await runTool(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} failed (code ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`,
    );
  }
  return r.stdout;
}

/**
 * Polls `cond` every `intervalMs` until it returns a value other than undefined/false, and
 * resolves with it; rejects after `timeoutMs` with `what` in the message. `cond` may also throw
 * to abort the wait early (e.g. the daemon being waited for has exited).
 */
export async function waitFor<T>(
  what: string,
  cond: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5000,
  intervalMs = 5,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v !== undefined && v !== false) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
