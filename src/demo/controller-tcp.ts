/*
 * The embedded learning controller over sockets, for any OpenFlow 1.0 switch (ofdp, Open vSwitch):
 * `ofdp demo --controller-only ptcp:6633` waits for switches as ovs-testcontroller does, and
 * `tcp:IP[:PORT]` / `unix:PATH` connects to a switch's listener. Each connection gets its own
 * controller (its own MAC table), as each switch is its own learning domain.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { parseTarget, TargetError } from '../connmgr/target.js';
import { LearningController, type LearningControllerOptions } from './learning-controller.js';

export interface ControllerService {
  /** Where it listens (ptcp port resolved) or what it dialled. */
  readonly address: string;
  /** Resolves when a dialled connection ends (never, for a listener, until close()). */
  readonly done: Promise<void>;
  close(): Promise<void>;
}

/** Runs a controller on one socket until either side closes it. */
function drive(sock: Socket, opts: LearningControllerOptions): LearningController {
  sock.setNoDelay(true);
  const ctl = new LearningController(
    (bytes) => void sock.write(bytes),
    opts,
    () => sock.destroy(),
  );
  sock.on('data', (d: Buffer) => ctl.receive(d));
  sock.on('error', () => undefined);
  sock.on('close', () => ctl.shutdown('connection closed'));
  ctl.start();
  return ctl;
}

export async function serveController(
  target: string,
  opts: LearningControllerOptions = {},
): Promise<ControllerService> {
  const t = parseTarget(target);
  if (t.transport === 'ssl') throw new TargetError(`${target}: the embedded controller has no SSL`);
  if (t.kind === 'active') {
    const sock =
      t.transport === 'unix' ? createConnection(t.path) : createConnection({ host: t.host, port: t.port });
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    drive(sock, opts);
    const done = new Promise<void>((r) => sock.once('close', () => r()));
    return {
      address: target,
      done,
      close: async () => {
        sock.destroy();
        await done;
      },
    };
  }
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    drive(sock, opts);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (t.transport === 'unix') server.listen(t.path, resolve);
    else server.listen(t.port, t.host, resolve);
  });
  const a = server.address();
  const address =
    typeof a === 'string' || a === null
      ? `punix:${t.transport === 'unix' ? t.path : ''}`
      : `ptcp:${a.port}:${a.address}`;
  let stop: () => void = () => undefined;
  const done = new Promise<void>((r) => (stop = r));
  return {
    address,
    done,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      stop();
    },
  };
}
