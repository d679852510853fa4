/*
 * Reconnect backoff of an active controller, on a fake clock with a fake dialer: the delays
 * between dials, their reset after a session that reached FEATURES, and stop().
 */
import { describe, expect, it } from 'vitest';
import {
  ASYNC_BACKLOG_LIMIT,
  ConnectionManager,
  type DialCallbacks,
  type Dialer,
} from '../../src/connmgr/index.js';
import { OFPT } from '../../src/openflow/constants.js';
import { FakeClock } from './fake-clock.js';
import { FakeStream, settle } from './fake-stream.js';

interface Dial {
  at: number;
  cb: DialCallbacks;
  cancelled: boolean;
}

function setup() {
  const clock = new FakeClock();
  const dials: Dial[] = [];
  const dialer: Dialer = (_target, cb) => {
    const d: Dial = { at: clock.now(), cb, cancelled: false };
    dials.push(d);
    return {
      cancel: () => {
        d.cancelled = true;
      },
    };
  };
  const mgr = new ConnectionManager({ clock, dialer, probeIntervalMs: 0 });
  const backoffs: number[] = [];
  const log: string[] = [];
  mgr.on('backoff', (_t, ms) => backoffs.push(ms));
  mgr.on('up', (c) => log.push(`up:${c.role}`));
  mgr.on('down', (_c, reason) => log.push(`down:${reason}`));
  mgr.on('primaries', (n) => log.push(`primaries:${n}`));
  mgr.on('dial-failed', () => log.push('dial-failed'));
  mgr.on('aborted', (_t, reason) => log.push(`aborted:${reason}`));
  return { clock, dials, mgr, backoffs, log };
}

const refuse = (d: Dial): void =>
  d.cb.failed(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));

/** Connects the latest dial to a fake stream and completes HELLO. */
function accept(d: Dial): FakeStream {
  const s = new FakeStream();
  d.cb.connected(s);
  s.feed(Buffer.from('0100000800000001', 'hex'));
  return s;
}

describe('active controller backoff', () => {
  it('dials at once, then waits 1, 2, 4, 8, 8 s between failed dials', () => {
    const { clock, dials, mgr, backoffs, log } = setup();
    const t0 = clock.now();
    mgr.addController('tcp:192.0.2.1:6653');
    for (let i = 0; i < 6; i++) {
      refuse(dials.at(-1)!);
      clock.advance(backoffs.at(-1)!);
    }
    expect(dials.map((d) => d.at - t0)).toEqual([0, 1000, 3000, 7000, 15000, 23000, 31000]);
    expect(backoffs).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(log.filter((x) => x === 'dial-failed')).toHaveLength(6);
    expect(mgr.primaryCount).toBe(0);
  });

  it('does not dial before the delay is over', () => {
    const { clock, dials, mgr } = setup();
    mgr.addController('tcp:192.0.2.1');
    refuse(dials[0]!);
    clock.advance(999);
    expect(dials).toHaveLength(1);
    clock.advance(1);
    expect(dials).toHaveLength(2);
  });

  it('keeps doubling across sessions that never reached FEATURES', () => {
    const { clock, dials, mgr, backoffs, log } = setup();
    mgr.addController('tcp:192.0.2.1');
    refuse(dials[0]!); // wait 1 s
    clock.advance(1000);
    const s = accept(dials[1]!); // up, but the bridge never saw FEATURES
    s.emit('close');
    clock.advance(2000);
    const s2 = new FakeStream();
    dials[2]!.cb.connected(s2);
    s2.feed(Buffer.from('0400001000000001000100080000001000', 'hex').subarray(0, 16)); // 1.3-only: HELLO_FAILED
    expect(backoffs).toEqual([1000, 2000, 4000]);
    expect(log).toEqual([
      'dial-failed',
      'up:primary',
      'primaries:1',
      'down:eof',
      'primaries:0',
      'aborted:hello-failed',
    ]);
  });

  it('resets to 1 s after a session that reached FEATURES', () => {
    const { clock, dials, mgr, backoffs } = setup();
    mgr.on('message', (conn, msg) => {
      if (msg.type === OFPT.FEATURES_REQUEST) conn.markEstablished();
    });
    mgr.addController('tcp:192.0.2.1');
    for (let i = 0; i < 3; i++) {
      refuse(dials.at(-1)!);
      clock.advance(backoffs.at(-1)!);
    }
    expect(backoffs).toEqual([1000, 2000, 4000]);
    const s = accept(dials.at(-1)!);
    s.feed(Buffer.from('0105000800000002', 'hex')); // FEATURES_REQUEST
    s.emit('close');
    expect(backoffs).toEqual([1000, 2000, 4000, 1000]);
    clock.advance(1000);
    refuse(dials.at(-1)!);
    expect(backoffs.at(-1)).toBe(2000);
  });

  it('counts primaries and reports the connection with its defaults', async () => {
    const { dials, mgr } = setup();
    mgr.addController('tcp:192.0.2.1');
    mgr.addController('tcp:192.0.2.2');
    const counts: number[] = [];
    mgr.on('primaries', (n) => counts.push(n));
    const a = accept(dials[0]!);
    const b = accept(dials[1]!);
    expect(mgr.primaryCount).toBe(2);
    const conns = [...mgr.connections];
    expect(conns.map((c) => [c.role, c.target, c.missSendLen, c.receivesAsync])).toEqual([
      ['primary', 'tcp:192.0.2.1:6653', 128, true],
      ['primary', 'tcp:192.0.2.2:6653', 128, true],
    ]);
    expect(conns[0]!.congested).toBe(false);
    a.writableLength = ASYNC_BACKLOG_LIMIT + 1; // the socket is not draining
    expect(conns[0]!.congested).toBe(true);
    expect(conns[1]!.congested).toBe(false);
    a.emit('close');
    b.emit('close');
    expect(counts).toEqual([1, 2, 1, 0]);
    await settle();
  });

  it('stop() cancels a dial in flight and the pending redial', async () => {
    const { clock, dials, mgr } = setup();
    const c = mgr.addController('tcp:192.0.2.1');
    expect(c.state).toBe('connecting');
    await mgr.close();
    expect(dials[0]!.cancelled).toBe(true);
    expect(c.state).toBe('stopped');

    const m2 = setup();
    const c2 = m2.mgr.addController('tcp:192.0.2.1');
    refuse(m2.dials[0]!);
    expect(c2.state).toBe('backoff');
    await m2.mgr.close();
    m2.clock.advance(60_000);
    expect(m2.dials).toHaveLength(1);
    expect(m2.clock.pending).toEqual([]);
    void clock;
  });

  it('close() takes an up session down and does not redial', async () => {
    const { clock, dials, mgr, log } = setup();
    mgr.addController('tcp:192.0.2.1');
    const s = accept(dials[0]!);
    await mgr.close();
    expect(s.ended).toBe(true);
    expect(log).toEqual(['up:primary', 'primaries:1', 'down:local', 'primaries:0']);
    clock.advance(60_000);
    expect(dials).toHaveLength(1);
  });
});
