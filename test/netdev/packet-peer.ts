/*
 * The far end of a link in tests: a raw AF_PACKET socket on an interface (optionally inside a
 * network namespace) that sends frames and collects every frame it receives, with VLAN tags and
 * offloads undone like a system port. Waiting is event-driven: next() resolves on the arrival of
 * a matching frame.
 */
import * as ffi from '../../src/netdev/linux/ffi.js';
import { IoLoop } from '../../src/netdev/linux/io-loop.js';
import { MmsgReader } from '../../src/netdev/linux/packet-rx.js';
import { MmsgSender, openPacketSocket } from '../../src/netdev/linux/packet-socket.js';
import { RxSink } from '../../src/netdev/linux/rx-sink.js';
import type { Netns } from './helpers.js';

interface Waiter {
  pred: (f: Buffer) => boolean;
  resolve: (f: Buffer) => void;
}

export class PacketPeer {
  readonly received: Buffer[] = [];
  private readonly fd: number;
  private readonly rx: MmsgReader;
  private readonly tx: MmsgSender;
  private readonly loop: IoLoop;
  private readonly waiters = new Set<Waiter>();

  constructor(ifname: string, ns?: Netns) {
    const open = (): number => {
      const ifindex = ffi.ifNameToIndex(ifname);
      if (!ifindex) throw new Error(`no interface ${ifname}`);
      return openPacketSocket(ifindex, { vnetHdr: true });
    };
    this.fd = ns ? ffi.withNetns(ns.path, open) : open();
    this.rx = new MmsgReader(this.fd, true);
    this.tx = new MmsgSender(this.fd, true);
    const sink = new RxSink((b) => {
      for (let i = 0; i < b.count; i++) {
        const f = Buffer.from(b.bufs[i]!.subarray(b.offs[i]!, b.offs[i]! + b.lens[i]!));
        this.received.push(f);
        for (const w of this.waiters)
          if (w.pred(f)) {
            this.waiters.delete(w);
            w.resolve(f);
          }
      }
    });
    this.loop = new IoLoop(this.fd, (budget) => this.rx.drain(sink, budget));
    this.loop.start();
  }

  send(...frames: Buffer[]): void {
    for (const f of frames) this.tx.send(f, 0, f.length);
    this.tx.flush();
  }

  /** The first already-received or future frame matching `pred`. */
  next(pred: (f: Buffer) => boolean, timeoutMs = 3000): Promise<Buffer> {
    const seen = this.received.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        pred,
        resolve: (f) => {
          clearTimeout(t);
          resolve(f);
        },
      };
      const t = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error('peer: no matching frame arrived'));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  close(): void {
    this.loop.close();
    this.rx.close();
    this.tx.close();
    ffi.close(this.fd);
  }
}
