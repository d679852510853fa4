/*
 * Warms the per-frame code of the Linux port path — the recvmmsg reader, the receive sink, the
 * sendmmsg sender — before the first real frame, as src/datapath/warm-up.ts does for the datapath.
 *
 * Why: V8 interprets a function until it has run often enough to be worth optimising; a fresh
 * `ofdp run` took ~1,500 pings through a system port before its round trips settled (median 94 →
 * 70 µs over 8 rounds of 200 on the same veths). The datapath's warm-up covers the flow lookup and
 * actions; this covers the code on either side of it.
 *
 * How: the real MmsgSender and MmsgReader (with virtio-net headers, as system ports use them) on
 * the two ends of a Unix datagram socketpair — real sendmmsg/recvmmsg calls and the same native
 * buffers, no device, no privilege — one frame per batch like sparse traffic. Frames go to
 * `deliver` in RxBatches exactly as a port delivers them. ~10–20 ms.
 */
import type { RxBatch } from '../provider.js';
import * as ffi from './ffi.js';
import { MmsgReader } from './packet-rx.js';
import { MmsgSender } from './packet-socket.js';
import { RxSink } from './rx-sink.js';

const ROUNDS = 2000;

let warmed = false;

/**
 * Runs the warm-up once per process (later calls return 0 at once); returns how many frames came
 * through. Never throws: only speed depends on it.
 */
export function warmUpPortPath(deliver: (batch: RxBatch) => void = () => {}): number {
  if (warmed) return 0;
  warmed = true;
  try {
    return exercisePortPath(deliver, ROUNDS);
  } catch {
    return 0;
  }
}

/** Sends `rounds` frames one by one through a socketpair and the port code; returns frames received. */
export function exercisePortPath(deliver: (batch: RxBatch) => void, rounds: number): number {
  const [a, b] = ffi.socketpair(ffi.AF_UNIX, ffi.SOCK_DGRAM | ffi.SOCK_NONBLOCK | ffi.SOCK_CLOEXEC);
  if (a < 0) return 0;
  const tx = new MmsgSender(a, true);
  const rx = new MmsgReader(b, true);
  let received = 0;
  const sink = new RxSink((batch) => {
    received += batch.count;
    deliver(batch);
  });
  try {
    const frame = Buffer.alloc(98);
    frame.writeUIntBE(0x020000000002, 0, 6);
    frame.writeUIntBE(0x020000000001, 6, 6);
    frame.writeUInt16BE(0x0800, 12);
    frame[14] = 0x45;
    for (let i = 0; i < rounds; i++) {
      frame.writeUInt16BE(i & 0xffff, 40);
      tx.send(frame, 0, frame.length);
      tx.flush();
      rx.drain(sink, 1);
    }
  } finally {
    rx.close();
    tx.close();
    ffi.close(a);
    ffi.close(b);
  }
  return received;
}
