/*
 * Collects what a device delivers through startReceive(), copying each frame (the batch is only
 * valid during the callback), and lets a test wait for a matching frame without sleeping.
 */
import type { NetdevDevice, RxBatch } from '../../src/netdev/provider.js';

export class Collector {
  readonly frames: Buffer[] = [];
  maxBatch = 0;
  private waiters: { pred: (f: Buffer) => boolean; resolve: (f: Buffer) => void }[] = [];
  private countWaiters: { n: number; pred: (f: Buffer) => boolean; resolve: () => void }[] = [];

  constructor(
    dev: NetdevDevice,
    private readonly onBatch?: (b: RxBatch) => void,
  ) {
    dev.startReceive((b) => {
      this.maxBatch = Math.max(this.maxBatch, b.count);
      for (let i = 0; i < b.count; i++) {
        const f = Buffer.from(b.bufs[i]!.subarray(b.offs[i]!, b.offs[i]! + b.lens[i]!));
        this.frames.push(f);
        this.waiters = this.waiters.filter((w) => (w.pred(f) ? (w.resolve(f), false) : true));
      }
      this.countWaiters = this.countWaiters.filter((w) =>
        this.frames.filter(w.pred).length >= w.n ? (w.resolve(), false) : true,
      );
      this.onBatch?.(b);
    });
  }

  next(pred: (f: Buffer) => boolean, timeoutMs = 3000): Promise<Buffer> {
    const seen = this.frames.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('device: no matching frame arrived')), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (f) => {
          clearTimeout(t);
          resolve(f);
        },
      });
    });
  }

  /** Resolves once `n` frames matching `pred` have arrived in total. */
  count(n: number, pred: (f: Buffer) => boolean, timeoutMs = 5000): Promise<void> {
    if (this.frames.filter(pred).length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`device: ${this.frames.filter(pred).length}/${n} frames arrived`)),
        timeoutMs,
      );
      this.countWaiters.push({
        n,
        pred,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      });
    });
  }
}
