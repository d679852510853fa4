/*
 * The port-path warm-up (src/netdev/linux/warm-up.ts): the real sendmmsg sender and recvmmsg reader
 * over a Unix datagram socketpair deliver every frame, byte for byte, in RxBatches as a port does.
 */
import { describe, expect, it } from 'vitest';
import { exercisePortPath } from '../../src/netdev/linux/warm-up.js';

const notLinux = process.platform !== 'linux';
if (notLinux)
  console.warn(
    `\n*** SKIPPING port-path warm-up tests: ${process.platform} is not Linux (no sendmmsg/recvmmsg) ***\n`,
  );

describe.skipIf(notLinux)('port-path warm-up', () => {
  it('carries each frame through sender, socketpair, reader and sink unchanged', () => {
    const seen: number[] = [];
    let bad = 0;
    const n = exercisePortPath((b) => {
      for (let i = 0; i < b.count; i++) {
        const f = b.bufs[i]!.subarray(b.offs[i]!, b.offs[i]! + b.lens[i]!);
        if (f.length !== 98 || f.readUInt16BE(12) !== 0x0800 || f.readUIntBE(0, 6) !== 0x020000000002) bad++;
        seen.push(f.readUInt16BE(40));
      }
    }, 300);
    expect(n).toBe(300);
    expect(bad).toBe(0);
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });
});
