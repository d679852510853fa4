/*
 * Traffic generator and sink for bench/netdev.bench.ts, run as a child process inside a network
 * namespace (`ip netns exec NS node dist/bench/netdev-generator.js MODE IFNAME SECONDS MAX`).
 *
 * send: blasts 64-byte frames out of IFNAME with sendmmsg (64 per call) for SECONDS or MAX frames.
 * recv: counts frames arriving on IFNAME until none arrived for 300 ms (after the first) or SECONDS.
 * Prints "ready" once its socket is open, then one JSON line with its result. Bounded in time and
 * count; uses ofdp's own AF_PACKET code (src/netdev/linux).
 */
import * as ffi from '../src/netdev/linux/ffi.js';
import { IoLoop } from '../src/netdev/linux/io-loop.js';
import { MmsgReader } from '../src/netdev/linux/packet-rx.js';
import { MmsgSender, openPacketSocket } from '../src/netdev/linux/packet-socket.js';
import { RxSink } from '../src/netdev/linux/rx-sink.js';

const [mode, ifname, secondsArg, maxArg] = process.argv.slice(2);
const seconds = Number(secondsArg ?? '1');
const max = Number(maxArg ?? '1000000');
const ifindex = ffi.ifNameToIndex(ifname ?? '');
if (!ifindex) throw new Error(`no interface ${ifname}`);
const fd = openPacketSocket(ifindex, { vnetHdr: false });

if (mode === 'send') {
  const tx = new MmsgSender(fd, false);
  const frame = Buffer.alloc(64);
  frame.writeUIntBE(0x02_00_00_00_00_fe, 0, 6);
  frame.writeUIntBE(0x02_00_00_00_00_01, 6, 6);
  frame.writeUInt16BE(0x88b5, 12);
  console.log('ready');
  const start = performance.now();
  const end = start + seconds * 1000;
  let n = 0;
  while (n < max && performance.now() < end) {
    for (let i = 0; i < 64; i++) {
      frame.writeUInt32BE(n + i, 14);
      tx.send(frame, 0, 64);
    }
    tx.flush();
    n += 64;
  }
  const secs = (performance.now() - start) / 1000;
  console.log(JSON.stringify({ sent: tx.sent, dropped: tx.dropped, secs }));
  tx.close();
  ffi.close(fd);
} else if (mode === 'recv') {
  const rx = new MmsgReader(fd, false);
  let count = 0;
  let first = 0;
  let last = 0;
  const sink = new RxSink((b) => {
    const now = performance.now();
    if (count === 0) first = now;
    last = now;
    count += b.count;
  });
  const loop = new IoLoop(fd, (budget) => rx.drain(sink, budget));
  loop.start();
  console.log('ready');
  const started = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    if ((count > 0 && now - last > 300) || now - started > seconds * 1000) {
      clearInterval(timer);
      loop.close();
      rx.close();
      ffi.close(fd);
      console.log(JSON.stringify({ received: count, secs: (last - first) / 1000 }));
    }
  }, 50);
} else {
  throw new Error(`mode must be send or recv, not ${mode}`);
}
