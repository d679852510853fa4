/*
 * Helpers for socket tests: a raw OpenFlow peer that reads whole messages as they arrive, a free
 * TCP port, running the Open vSwitch tools, unique temporary paths, and connection managers closed
 * after each test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { ConnectionManager, type ConnectionManagerEvents } from '../../src/connmgr/index.js';
import { OfpFramer } from '../../src/openflow/framer.js';

let counter = 0;

/** A fresh private directory for sockets and keys (remove it in afterAll). */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), `ofdp-connmgr-${process.pid}-${counter++}-`));
}

/**
 * For the top level of a test file: a private directory (removed after the file) and `manager()`,
 * which makes a connection manager closed after the test that made it.
 */
export function managersPerTest(): {
  dir: string;
  manager(opts?: ConstructorParameters<typeof ConnectionManager>[0]): ConnectionManager;
} {
  const dir = tempDir();
  const managers: ConnectionManager[] = [];
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    manager(opts = {}) {
      const m = new ConnectionManager(opts);
      managers.push(m);
      return m;
    },
  };
}

// Shared with the CLI and integration tests: a port that was free a moment ago (for tools that
// cannot report the port they bound), and running a tool to completion (code, stdout, stderr).
export { freePort } from '../support/ofdp-run.js';
export { runTool as run } from '../support/ovs/tools.js';

/** One end of an OpenFlow connection, driven byte by byte by a test. */
export class RawPeer {
  private readonly framer = new OfpFramer();
  private readonly queue: Buffer[] = [];
  private waiters: ((m: Buffer | undefined) => void)[] = [];
  closed = false;
  readonly closedPromise: Promise<void>;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk) =>
      this.framer.push(chunk, (m) => {
        const copy = Buffer.from(m);
        const w = this.waiters.shift();
        if (w) w(copy);
        else this.queue.push(copy);
      }),
    );
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        for (const w of this.waiters.splice(0)) w(undefined);
        resolve();
      }),
    );
  }

  static async tcp(port: number, host = '127.0.0.1'): Promise<RawPeer> {
    const s = connect({ port, host });
    await once(s, 'connect');
    return new RawPeer(s);
  }

  static async unix(path: string): Promise<RawPeer> {
    const s = connect({ path });
    await once(s, 'connect');
    return new RawPeer(s);
  }

  send(...bufs: Buffer[]): void {
    this.socket.write(Buffer.concat(bufs));
  }

  /** The next whole message, or undefined if the connection closed first. */
  next(): Promise<Buffer | undefined> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Starts a long-running tool; stop it with `stop()`. */
export interface Started {
  child: ChildProcess;
  stderr: () => string;
  /** Resolves with `p`, or rejects (with the tool's stderr) if the tool exits first. */
  unlessExited<T>(p: Promise<T>): Promise<T>;
  stop: () => Promise<void>;
}

export function start(cmd: string, args: string[]): Started {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(child, 'exit');
  return {
    child,
    stderr: () => err,
    unlessExited: <T>(p: Promise<T>) =>
      Promise.race([
        p,
        exited.then(([code]) => {
          throw new Error(`${cmd} exited (${String(code)}) early: ${err}`);
        }),
      ]),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resolves with the arguments of the first `event` from the manager that satisfies `pred`. */
export function waitFor<K extends keyof ConnectionManagerEvents>(
  mgr: ConnectionManager,
  event: K,
  pred: (...args: ConnectionManagerEvents[K]) => boolean = () => true,
): Promise<ConnectionManagerEvents[K]> {
  type L = (...args: unknown[]) => void;
  const em = mgr as unknown as { on(e: string, l: L): unknown; off(e: string, l: L): unknown };
  return new Promise((resolve) => {
    const l = (...args: unknown[]): void => {
      const a = args as ConnectionManagerEvents[K];
      if (!pred(...a)) return;
      em.off(event, l);
      resolve(a);
    };
    em.on(event, l);
  });
}
