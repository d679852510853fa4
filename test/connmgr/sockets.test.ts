/*
 * The connection manager on real sockets (127.0.0.1, port 0, private unix paths), against raw
 * peers and the real clients: ovs-ofctl probe/ping/-O OpenFlow13, ovs-testcontroller in both
 * directions. The switch here is the manager alone: the channel answers ECHO itself, so probe and
 * ping work with no bridge at all.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, lstatSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { ConnectionManager, type OfConnection } from '../../src/connmgr/index.js';
import { decodeMessage, encodeMessage } from '../../src/openflow/codec.js';
import { OFPT } from '../../src/openflow/constants.js';
import type { OfpMessage } from '../../src/openflow/messages.js';
import { RawPeer, freePort, managersPerTest, run, start, waitFor } from './helpers.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const HELLO_V1 = hex('01 00 0008 00000001');
const OFCTL = '/usr/bin/ovs-ofctl';
const TESTCONTROLLER = '/usr/bin/ovs-testcontroller';
const haveOfctl = existsSync(OFCTL);
const haveTestController = existsSync(TESTCONTROLLER);
if (!haveOfctl) console.warn('SKIPPING ovs-ofctl tests: /usr/bin/ovs-ofctl is not installed');
if (!haveTestController)
  console.warn('SKIPPING ovs-testcontroller tests: /usr/bin/ovs-testcontroller is not installed');

const { dir, manager } = managersPerTest();

/** A manager listening on ptcp:0; resolves with it and its port. */
async function serviceSwitch(opts: ConstructorParameters<typeof ConnectionManager>[0] = {}) {
  const mgr = manager(opts);
  const l = await mgr.listen('ptcp:0');
  return { mgr, port: (l.address as { port: number }).port, listener: l };
}

describe('service connections (passive listener)', () => {
  it('negotiates with a v4 8-byte HELLO (os-ken) and delivers pipelined requests in order', async () => {
    const { mgr, port } = await serviceSwitch();
    const seen: OfpMessage[] = [];
    let conn: OfConnection | undefined;
    mgr.on('up', (c) => (conn = c));
    mgr.on('message', (_c, m) => seen.push(m));
    const upP = waitFor(mgr, 'up');
    const barrier = waitFor(mgr, 'message', (_c, m) => m.type === OFPT.BARRIER_REQUEST);
    const peer = await RawPeer.tcp(port);
    const ourHello = await peer.next();
    expect(ourHello!.subarray(0, 4)).toEqual(hex('01 00 0008'));
    peer.send(
      hex('04 00 0008 2a2a2a2a'),
      encodeMessage({ type: OFPT.FEATURES_REQUEST, xid: 0x2a2a2a2b }),
      encodeMessage({ type: OFPT.SET_CONFIG, xid: 0x2a2a2a2c, flags: 0, miss_send_len: 128 }),
      encodeMessage({ type: OFPT.BARRIER_REQUEST, xid: 0x2a2a2a2d }),
    );
    await upP;
    await barrier;
    expect(seen.map((m) => [m.type, m.xid])).toEqual([
      [OFPT.FEATURES_REQUEST, 0x2a2a2a2b],
      [OFPT.SET_CONFIG, 0x2a2a2a2c],
      [OFPT.BARRIER_REQUEST, 0x2a2a2a2d],
    ]);
    expect(conn!.role).toBe('service');
    expect(conn!.target).toBe(`ptcp:${port}:127.0.0.1`);
    expect(conn!.peer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(conn!.missSendLen).toBe(0);
    expect(conn!.receivesAsync).toBe(false);
    expect(mgr.primaryCount).toBe(0);

    // No asynchronous message reaches a service connection until it sets miss_send_len.
    mgr.broadcastAsync({ type: OFPT.BARRIER_REPLY, xid: 0x100 });
    conn!.missSendLen = 128; // what the bridge does on that SET_CONFIG
    expect(conn!.receivesAsync).toBe(true);
    mgr.broadcastAsync({ type: OFPT.BARRIER_REPLY, xid: 0x101 });
    expect(decodeMessage((await peer.next())!)).toEqual({ type: OFPT.BARRIER_REPLY, xid: 0x101 });
    const down = waitFor(mgr, 'down');
    peer.close();
    expect((await down)[1]).toBe('eof');
    expect(mgr.connections.size).toBe(0);
  });

  /** ADD priority=63,tcp actions=output:1 with the output action's type made unknown, and its answer. */
  async function malformedFlowMod() {
    const { mgr, port } = await serviceSwitch();
    const peer = await RawPeer.tcp(port);
    await peer.next();
    const fm = hex(
      '01 0e 0050 00000006' +
        '003820ee 0000 000000000000 000000000000 0000 00 00 0800 00 06 0000 00000000 00000000 0000 0000' +
        '0000000000000000 0000 0000 0000 003f ffffffff ffff 0000' +
        '0077 0008 0001 0000',
    );
    const barrier = waitFor(mgr, 'message', (_c, m) => m.type === OFPT.BARRIER_REQUEST);
    peer.send(HELLO_V1, fm, encodeMessage({ type: OFPT.BARRIER_REQUEST, xid: 7 }));
    const err = (await peer.next())!;
    await barrier;
    return { mgr, peer, fm, err };
  }

  it('answers a malformed flow mod with the whole message and lives on', async () => {
    const { mgr, peer, fm, err } = await malformedFlowMod();
    expect(decodeMessage(err)).toMatchObject({ type: OFPT.ERROR, xid: 6, data: fm });
    expect(mgr.connections.size).toBe(1);
    peer.close();
  });

  it.skipIf(!haveOfctl)(
    'answers a malformed flow mod with an error ovs-ofctl ofp-print decodes whole',
    async () => {
      const { peer, err } = await malformedFlowMod();
      const r = await run(OFCTL, ['ofp-print', err.toString('hex')]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('OFPT_ERROR (xid=0x6): OFPBAC_BAD_TYPE');
      expect(r.stdout).toContain('OFPT_FLOW_MOD (xid=0x6):');
      expect(r.stdout).not.toContain('truncated');
      peer.close();
    },
  );

  it('closes the connection on a header length below 8', async () => {
    const { mgr, port } = await serviceSwitch();
    const peer = await RawPeer.tcp(port);
    await peer.next();
    const down = waitFor(mgr, 'down');
    peer.send(HELLO_V1, hex('01 02 0004 00000009'));
    expect((await down)[1]).toBe('framing');
    await peer.closedPromise;
    expect(await peer.next()).toBeUndefined();
  });

  it('probes a silent peer with ECHO_REQUEST xid 0 and disconnects it (short real interval)', async () => {
    const { mgr, port } = await serviceSwitch({ probeIntervalMs: 100 });
    const peer = await RawPeer.tcp(port);
    const down = waitFor(mgr, 'down');
    await peer.next();
    peer.send(HELLO_V1);
    const echo = (await peer.next())!;
    expect(decodeMessage(echo)).toEqual({ type: OFPT.ECHO_REQUEST, xid: 0, data: Buffer.alloc(0) });
    expect((await down)[1]).toBe('inactivity');
    await peer.closedPromise;
  });

  it('reports a failed negotiation as aborted, never up', async () => {
    const { mgr, port } = await serviceSwitch();
    const aborted = waitFor(mgr, 'aborted');
    let ups = 0;
    mgr.on('up', () => ups++);
    const peer = await RawPeer.tcp(port);
    await peer.next();
    peer.send(hex('04 00 0010 00000001 0001 0008 00000010'));
    const err = (await peer.next())!;
    expect(err.subarray(0, 12)).toEqual(hex('04 01 0052 00000000 0000 0000'));
    expect((await aborted)[1]).toBe('hello-failed');
    await peer.closedPromise;
    expect(ups).toBe(0);
  });
});

describe.skipIf(!haveOfctl)('ovs-ofctl against a bare channel', () => {
  it('probe and ping succeed over ptcp', async () => {
    const { port } = await serviceSwitch();
    const probe = await run(OFCTL, ['-O', 'OpenFlow10', '-t', '10', 'probe', `tcp:127.0.0.1:${port}`]);
    expect(probe).toMatchObject({ code: 0 });
    const ping = await run(OFCTL, ['-O', 'OpenFlow10', '-t', '10', 'ping', `tcp:127.0.0.1:${port}`, '100']);
    expect(ping.code).toBe(0);
    const lines = ping.stdout.trim().split('\n');
    expect(lines).toHaveLength(10);
    for (const l of lines)
      expect(l).toMatch(new RegExp(`^100 bytes from tcp:127.0.0.1:${port}: xid=[0-9a-f]{8} time=`));
  });

  it('probe works over punix, and the socket file is replaced if stale and removed on close', async () => {
    const path = join(dir, 'br-probe.mgmt');
    // A stale socket file, as a crashed earlier run leaves it (bound, never unlinked).
    const py = await run('python3', [
      '-c',
      'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
      path,
    ]);
    expect(py.code).toBe(0);
    expect(lstatSync(path).isSocket()).toBe(true);
    writeFileSync(join(dir, 'not-a-socket'), 'x');
    const mgr = manager();
    await mgr.listen(`punix:${path}`);
    expect(lstatSync(path).isSocket()).toBe(true);
    const probe = await run(OFCTL, ['-t', '10', 'probe', `unix:${path}`]);
    expect(probe).toMatchObject({ code: 0 });
    await mgr.close();
    expect(existsSync(path)).toBe(false);
    await expect(manager().listen(`punix:${join(dir, 'not-a-socket')}`)).rejects.toThrow(/EADDRINUSE/);
  });

  it('-O OpenFlow13 show fails with the HELLO_FAILED exchange (rc 1, protocol error)', async () => {
    const { mgr, port } = await serviceSwitch();
    const aborted = waitFor(mgr, 'aborted');
    const r = await run(OFCTL, ['-O', 'OpenFlow13', '-t', '10', 'show', `tcp:127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Protocol error/);
    expect((await aborted)[1]).toBe('hello-failed');
  });

  it('-O OpenFlow10,OpenFlow13 (bitmap HELLO) negotiates 1.0', async () => {
    const { mgr, port } = await serviceSwitch();
    const up = waitFor(mgr, 'up');
    const r = await run(OFCTL, ['-O', 'OpenFlow10,OpenFlow13', '-t', '10', 'probe', `tcp:127.0.0.1:${port}`]);
    expect(r).toMatchObject({ code: 0 });
    const [conn] = await up;
    expect(conn.channel.peerVersions).toEqual({ version: 4, bitmap: 0x12 });
  });
});

describe.skipIf(!haveTestController)('ovs-testcontroller', () => {
  it('connecting to our listener with a v6 HELLO: negotiates 1.0, then FEATURES_REQUEST and SET_CONFIG', async () => {
    const { mgr, port } = await serviceSwitch();
    const up = waitFor(mgr, 'up');
    const setConfig = waitFor(mgr, 'message', (_c, m) => m.type === OFPT.SET_CONFIG);
    const seen: number[] = [];
    mgr.on('message', (_c, m) => seen.push(m.type));
    const tc = start(TESTCONTROLLER, [`--unixctl=${join(dir, 'tc1.ctl')}`, `tcp:127.0.0.1:${port}`]);
    try {
      const [conn] = await tc.unlessExited(up);
      expect(conn.channel.peerVersions).toEqual({ version: 6, bitmap: undefined });
      const [, msg] = await tc.unlessExited(setConfig);
      expect(msg).toMatchObject({ flags: 0, miss_send_len: 128 });
      expect(seen.slice(0, 2)).toEqual([OFPT.FEATURES_REQUEST, OFPT.SET_CONFIG]);
    } finally {
      await tc.stop();
    }
  });

  it('as a passive controller: our active connection negotiates and receives FEATURES_REQUEST', async () => {
    const port = await freePort();
    const tc = start(TESTCONTROLLER, [`--unixctl=${join(dir, 'tc2.ctl')}`, `ptcp:${port}:127.0.0.1`]);
    try {
      // The controller may not be listening yet: the backoff redials until it is.
      const mgr = manager({ backoff: { minMs: 20, maxMs: 100 } });
      const features = waitFor(mgr, 'message', (_c, m) => m.type === OFPT.FEATURES_REQUEST);
      mgr.addController(`tcp:127.0.0.1:${port}`);
      const [conn] = await tc.unlessExited(features);
      expect(conn.role).toBe('primary');
      expect(conn.missSendLen).toBe(128);
      expect(conn.channel.peerVersions!.version).toBe(6);
      expect(mgr.primaryCount).toBe(1);
    } finally {
      await tc.stop();
    }
  });
});

/** A stand-in controller: accepts, sends HELLO v1, records sockets. */
async function fakeController(
  listenArgs: [number, string] | [string],
): Promise<{ server: Server; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    s.write(HELLO_V1);
    s.write(encodeMessage({ type: OFPT.FEATURES_REQUEST, xid: 2 }));
  });
  server.listen(...(listenArgs as [number, string]));
  await once(server, 'listening');
  return { server, sockets };
}

describe('active connections on real sockets', () => {
  it('reconnects to a controller that was killed and restarted on the same port', async () => {
    const first = await fakeController([0, '127.0.0.1']);
    const port = (first.server.address() as { port: number }).port;
    const mgr = manager({ backoff: { minMs: 20, maxMs: 80 } });
    mgr.on('message', (c, m) => {
      if (m.type === OFPT.FEATURES_REQUEST) c.markEstablished();
    });
    const up1 = waitFor(mgr, 'up');
    const ctl = mgr.addController(`tcp:127.0.0.1:${port}`);
    await up1;
    expect(mgr.primaryCount).toBe(1);

    // Kill the controller: close the listener and every connection.
    const down = waitFor(mgr, 'down');
    const failedOnce = waitFor(mgr, 'dial-failed');
    first.server.close();
    for (const s of first.sockets) s.destroy();
    await down;
    expect(mgr.primaryCount).toBe(0);
    await failedOnce; // nothing listening for a while
    expect(ctl.state).not.toBe('connected');

    const up2 = waitFor(mgr, 'up');
    const second = await fakeController([port, '127.0.0.1']);
    try {
      const [conn] = await up2;
      expect(conn.role).toBe('primary');
      expect(mgr.primaryCount).toBe(1);
    } finally {
      await mgr.close();
      second.server.close();
      for (const s of second.sockets) s.destroy();
    }
  });

  it('dials a unix socket controller', async () => {
    const path = join(dir, 'ctl.sock');
    const ctl = await fakeController([path]);
    try {
      const mgr = manager();
      const up = waitFor(mgr, 'up');
      mgr.addController(`unix:${path}`);
      const [conn] = await up;
      expect(conn.target).toBe(`unix:${path}`);
    } finally {
      ctl.server.close();
      for (const s of ctl.sockets) s.destroy();
    }
  });
});
