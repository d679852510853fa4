/*
 * The alternative bench/netdev.bench.ts measures against main-thread readiness: a worker thread
 * owns the system port (its own koffi poll on its own event loop) and hands every received batch
 * to the main thread, where a datapath would run, with postMessage (frames copied into one
 * transferred ArrayBuffer per batch).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SystemProvider } from '../src/netdev/linux/system.js';

const { ifname } = workerData as { ifname: string };
const dev = await new SystemProvider().open(ifname);
dev.startReceive((b) => {
  let bytes = 0;
  for (let i = 0; i < b.count; i++) bytes += b.lens[i]! + 4;
  const out = new Uint8Array(bytes);
  let o = 0;
  for (let i = 0; i < b.count; i++) {
    const len = b.lens[i]!;
    out[o] = len >> 8;
    out[o + 1] = len & 0xff;
    out.set(b.bufs[i]!.subarray(b.offs[i]!, b.offs[i]! + len), o + 4);
    o += len + 4;
  }
  parentPort!.postMessage({ count: b.count, frames: out.buffer }, [out.buffer]);
});
parentPort!.on('message', (m: string) => {
  if (m === 'stop')
    void dev.close().then(() => {
      parentPort!.close();
      process.exit(0);
    });
});
parentPort!.postMessage('ready');
