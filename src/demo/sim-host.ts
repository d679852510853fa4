/*
 * Simulated hosts for `ofdp demo` without privileges: each sits on a dummy port of the bridge and
 * does what a host's IP stack would do for the demo's story — answers ARP requests for its address,
 * answers ICMP echo requests, and pings (ARP first, then echo requests with measured round trips).
 *
 * A host sees every frame the switch transmits on its port (the dummy device's transmit hook) and,
 * like a NIC without promiscuous mode, ignores frames addressed to another MAC. It sends by
 * injecting frames into the dummy device, which delivers them to the bridge asynchronously, so a
 * reply never re-enters the datapath that is still transmitting the request.
 */
import type { DummyDevice } from '../netdev/dummy.js';
import { ipToString } from '../openflow/match.js';
import {
  BROADCAST_MAC,
  arpReply,
  arpRequest,
  echoReply,
  echoRequest,
  parseArp,
  parseEcho,
  readMac,
} from './packets.js';

export interface PingResult {
  from: string;
  to: string;
  sent: number;
  received: number;
  /** Round-trip times of the answered echo requests, in milliseconds. */
  rttsMs: number[];
  /** Why nothing could be sent (address never resolved), if so. */
  error?: string;
}

export interface PingOptions {
  count?: number;
  intervalMs?: number;
  timeoutMs?: number;
}

type Waiter = {
  match: (f: Buffer) => boolean;
  resolve: (f: Buffer | undefined) => void;
  timer: NodeJS.Timeout;
};

export class SimHost {
  /** IPv4 → MAC, learnt from ARP. */
  readonly arpCache = new Map<number, number>();
  readonly counters = { rxFrames: 0, arpRepliesSent: 0, echoRepliesSent: 0 };
  private readonly waiters = new Set<Waiter>();
  private readonly ident: number;
  private static nextIdent = 0x4f00;

  constructor(
    readonly name: string,
    readonly mac: number,
    readonly ip: number,
    private readonly dev: DummyDevice,
  ) {
    this.ident = SimHost.nextIdent++;
    dev.setTransmitHook((f) => this.onFrame(f));
  }

  get ipText(): string {
    return ipToString(this.ip);
  }

  /** A frame the switch transmitted on this host's port. */
  private onFrame(f: Buffer): void {
    if (f.length < 14) return;
    const dst = readMac(f, 0);
    if (dst !== this.mac && dst !== BROADCAST_MAC) return;
    this.counters.rxFrames++;
    const arp = parseArp(f);
    if (arp) {
      if (arp.spa !== 0) this.arpCache.set(arp.spa, arp.sha);
      if (arp.isRequest && arp.tpa === this.ip) {
        this.counters.arpRepliesSent++;
        this.dev.receive(arpReply(this.mac, this.ip, arp.sha, arp.spa));
      }
    }
    const echo = parseEcho(f);
    if (echo?.isRequest && echo.dst === this.ip) {
      this.counters.echoRepliesSent++;
      this.dev.receive(
        echoReply({ ...echo, ethSrc: this.mac, ethDst: echo.ethSrc, src: this.ip, dst: echo.src }),
      );
    }
    for (const w of this.waiters)
      if (w.match(f)) {
        this.waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve(f);
      }
  }

  private waitFor(match: (f: Buffer) => boolean, timeoutMs: number): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const w: Waiter = {
        match,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          resolve(undefined);
        }, timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  /** Resolves `ip` to a MAC with up to three ARP requests. */
  async resolve(ip: number, timeoutMs = 1000): Promise<number | undefined> {
    for (let i = 0; i < 3 && !this.arpCache.has(ip); i++) {
      const reply = this.waitFor((f) => {
        const a = parseArp(f);
        return a !== undefined && a.isReply && a.spa === ip && a.tha === this.mac;
      }, timeoutMs);
      this.dev.receive(arpRequest(this.mac, this.ip, ip));
      await reply;
    }
    return this.arpCache.get(ip);
  }

  /** Pings `target` as `ping -c count` would, resolving it first. */
  async ping(target: SimHost | number, opts: PingOptions = {}): Promise<PingResult> {
    const ip = typeof target === 'number' ? target : target.ip;
    const count = opts.count ?? 3;
    const timeoutMs = opts.timeoutMs ?? 1000;
    const result: PingResult = { from: this.name, to: ipToString(ip), sent: 0, received: 0, rttsMs: [] };
    const mac = await this.resolve(ip, timeoutMs);
    if (mac === undefined) {
      result.error = `no ARP reply from ${ipToString(ip)}`;
      return result;
    }
    for (let seq = 1; seq <= count; seq++) {
      if (seq > 1) await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
      const payload = Buffer.alloc(56, seq);
      const reply = this.waitFor((f) => {
        const e = parseEcho(f);
        return e !== undefined && !e.isRequest && e.src === ip && e.id === this.ident && e.seq === seq;
      }, timeoutMs);
      const t0 = performance.now();
      result.sent++;
      this.dev.receive(
        echoRequest({ ethSrc: this.mac, ethDst: mac, src: this.ip, dst: ip, id: this.ident, seq, payload }),
      );
      if (await reply) {
        result.received++;
        result.rttsMs.push(performance.now() - t0);
      }
    }
    return result;
  }

  detach(): void {
    this.dev.setTransmitHook(undefined);
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve(undefined);
    }
    this.waiters.clear();
  }
}
