/*
 * The process-wide view of links and addresses, kept fresh by an rtnetlink subscription.
 *
 * What: one subscription socket (RTNLGRP_LINK, IPv4 and IPv6 address groups) read from the event
 * loop, a cache of each watched link and its addresses, and a change sequence per ifindex (as Open
 * vSwitch's netdev `change_seq`) with listeners, so a bridge learns of `ip link set X down` within
 * one event-loop turn of the kernel's notification.
 *
 * Invariants:
 * - A link's sequence moves only when something a port reports changed (flags, carrier, operstate,
 *   MAC, MTU, name, addresses); counters arriving in the same message do not move it.
 * - ENOBUFS/overrun on the subscription means events were lost: everything is dumped again and
 *   every watched link is compared against the fresh state.
 * - Shared by reference count (acquire/release); the last release closes the poll handle, then the
 *   sockets.
 * - A link moved to another network namespace (`ip link set X netns NS`) is announced here as
 *   RTM_DELLINK carrying IFLA_NEW_NETNSID/IFLA_NEW_IFINDEX. It is not gone: its fd-based users (a
 *   tap) keep working. The entry follows it there (`remote`), read by requests naming that nsid
 *   (IFLA_TARGET_NETNSID) — polled, since its events are not delivered to this socket — and local
 *   events for its old ifindex (which may be reused) are ignored unless the same name comes back.
 */
import * as ffi from './ffi.js';
import {
  RTM,
  RTNLGRP,
  Rtnetlink,
  parseAddr,
  parseLink,
  type AddrInfo,
  type LinkChange,
  type LinkInfo,
} from './rtnetlink.js';
import { NetlinkSocket } from './netlink-socket.js';
import { NetdevError } from '../provider.js';
import type { NlMessage } from './netlink.js';

interface Watched {
  link: LinkInfo | undefined;
  addrs: AddrInfo[];
  seq: number;
  sig: string;
  refs: number;
  listeners: Set<() => void>;
  /** Set while the link lives in another namespace: where to find it. */
  remote?: { nsid: number; ifindex: number };
}

/** How often links moved to another namespace are re-read (their events do not reach us). */
const REMOTE_POLL_MS = 500;

function signature(l: LinkInfo | undefined, addrs: AddrInfo[]): string {
  if (!l) return 'gone';
  const a = addrs
    .map((x) => `${x.address}/${x.prefixLength}`)
    .sort()
    .join(',');
  return `${l.name}|${l.flags}|${l.mac}|${l.mtu}|${l.operstate}|${l.carrier}|${a}`;
}

export class LinkMonitor {
  private static shared: LinkMonitor | undefined;
  private refs = 0;
  readonly rt = new Rtnetlink();
  /** The subscription socket (exposed for diagnostics and tests). */
  readonly events: NetlinkSocket;
  private readonly poll: ffi.PollHandle;
  private readonly watched = new Map<number, Watched>();
  /** Resynchronisations after lost events (for tests and diagnostics). */
  resyncs = 0;
  private remotePoll: NodeJS.Timeout | undefined;

  private constructor() {
    this.events = new NetlinkSocket(undefined, [RTNLGRP.LINK, RTNLGRP.IPV4_IFADDR, RTNLGRP.IPV6_IFADDR]);
    this.poll = ffi.pollReadable(this.events.fd, () => this.onReadable());
    // An idle subscription must not keep the process alive by itself.
    this.poll.unref();
  }

  static acquire(): LinkMonitor {
    const m = (LinkMonitor.shared ??= new LinkMonitor());
    m.refs++;
    return m;
  }

  release(): void {
    if (--this.refs > 0) return;
    if (LinkMonitor.shared === this) LinkMonitor.shared = undefined;
    if (this.remotePoll) clearInterval(this.remotePoll);
    this.poll.close();
    this.events.close();
    this.rt.close();
  }

  /** Starts tracking `ifindex` (refreshing it now); returns the current state. */
  watch(ifindex: number): LinkInfo {
    let w = this.watched.get(ifindex);
    if (!w) {
      const link = this.rt.getLink(ifindex);
      const addrs = this.rt.dumpAddrs().filter((a) => a.ifindex === ifindex);
      w = { link, addrs, seq: 1, sig: signature(link, addrs), refs: 0, listeners: new Set() };
      this.watched.set(ifindex, w);
    }
    w.refs++;
    return w.link!;
  }

  unwatch(ifindex: number): void {
    const w = this.watched.get(ifindex);
    if (w && --w.refs <= 0) this.watched.delete(ifindex);
  }

  link(ifindex: number): LinkInfo | undefined {
    return this.watched.get(ifindex)?.link;
  }

  addrs(ifindex: number): AddrInfo[] {
    return this.watched.get(ifindex)?.addrs ?? [];
  }

  seq(ifindex: number): number {
    return this.watched.get(ifindex)?.seq ?? 0;
  }

  onChange(ifindex: number, cb: () => void): () => void {
    const w = this.watched.get(ifindex);
    if (!w) return () => {};
    w.listeners.add(cb);
    return () => w.listeners.delete(cb);
  }

  /** Re-reads one link now (after we changed it ourselves) and notifies if it changed. */
  refresh(ifindex: number): LinkInfo | undefined {
    const w = this.watched.get(ifindex);
    if (!w) return undefined;
    if (w.remote) this.refreshRemote(w);
    else {
      try {
        w.link = this.rt.getLink(ifindex);
      } catch {
        w.link = undefined;
      }
    }
    this.compare(w);
    return w.link;
  }

  /** Whether the watched link `ifindex` now lives in another network namespace. */
  isRemote(ifindex: number): boolean {
    return this.watched.get(ifindex)?.remote !== undefined;
  }

  /** The link as the kernel reports it right now (counters included), wherever it lives. */
  getLinkNow(ifindex: number): LinkInfo {
    const r = this.watched.get(ifindex)?.remote;
    return r ? this.rt.getLink(r.ifindex, undefined, r.nsid) : this.rt.getLink(ifindex);
  }

  /**
   * Changes the link `ifindex`, then re-reads it. The kernel applies IFLA_TARGET_NETNSID to reads
   * and creation only, so a link in another namespace cannot be changed from here (EOPNOTSUPP).
   */
  setLink(ifindex: number, c: LinkChange): void {
    if (this.isRemote(ifindex))
      throw new NetdevError('EOPNOTSUPP', `link ${ifindex} was moved to another network namespace`);
    this.rt.setLink(ifindex, c);
    this.refresh(ifindex);
  }

  private refreshRemote(w: Watched): void {
    const r = w.remote!;
    try {
      w.link = this.rt.getLink(r.ifindex, undefined, r.nsid);
    } catch {
      w.link = undefined; // deleted there, or moved on: gone for us
    }
  }

  private pollRemote(): void {
    let watching = false;
    for (const w of this.watched.values()) {
      if (!w.remote) continue;
      watching = true;
      this.refreshRemote(w);
      this.compare(w);
    }
    if (!watching && this.remotePoll) {
      clearInterval(this.remotePoll);
      this.remotePoll = undefined;
    }
  }

  /** Drains pending events now (tests use this to avoid waiting on the loop). */
  poke(): void {
    this.onReadable();
  }

  private onReadable(): void {
    const touched = new Set<number>();
    let state: 'ok' | 'overrun';
    try {
      state = this.events.readEvents((m) => this.apply(m, touched));
    } catch {
      state = 'overrun';
    }
    if (state === 'overrun') {
      this.resync();
      return;
    }
    for (const i of touched) {
      const w = this.watched.get(i);
      if (w) this.compare(w);
    }
  }

  private apply(m: NlMessage, touched: Set<number>): void {
    if (m.type === RTM.NEWLINK || m.type === RTM.DELLINK) {
      const l = parseLink(m);
      const w = l && this.watched.get(l.ifindex);
      if (!l || !w) return;
      if (w.remote) {
        // The old ifindex may now name another link of ours; only our link coming back counts.
        if (m.type !== RTM.NEWLINK || l.name === undefined || l.name !== w.link?.name) return;
        w.remote = undefined;
      }
      if (m.type === RTM.DELLINK && l.movedTo) {
        w.remote = l.movedTo;
        w.addrs = [];
        this.refreshRemote(w);
        this.remotePoll ??= setInterval(() => this.pollRemote(), REMOTE_POLL_MS);
        this.remotePoll.unref();
      } else {
        // A notification may omit attributes the dump had (FreeBSD sends fewer); keep what we knew.
        w.link = m.type === RTM.DELLINK ? undefined : { ...w.link, ...l };
      }
      touched.add(l.ifindex);
    } else if (m.type === RTM.NEWADDR || m.type === RTM.DELADDR) {
      const a = parseAddr(m);
      const w = a && this.watched.get(a.ifindex);
      if (!a || !w || w.remote) return;
      const rest = w.addrs.filter((x) => !(x.address === a.address && x.prefixLength === a.prefixLength));
      w.addrs = m.type === RTM.NEWADDR ? [...rest, a] : rest;
      touched.add(a.ifindex);
    }
  }

  private resync(): void {
    this.resyncs++;
    let links: LinkInfo[] = [];
    let addrs: AddrInfo[] = [];
    try {
      links = this.rt.dumpLinks();
      addrs = this.rt.dumpAddrs();
    } catch {
      return; // keep the old view; the next event retries
    }
    const byIndex = new Map(links.map((l) => [l.ifindex, l]));
    for (const [i, w] of this.watched) {
      if (w.remote) this.refreshRemote(w);
      else {
        w.link = byIndex.get(i);
        w.addrs = addrs.filter((a) => a.ifindex === i);
      }
      this.compare(w);
    }
  }

  private compare(w: Watched): void {
    const sig = signature(w.link, w.addrs);
    if (sig === w.sig) return;
    w.sig = sig;
    w.seq++;
    for (const cb of [...w.listeners]) {
      try {
        cb();
      } catch {
        // a listener's failure must not stop the others or the monitor
      }
    }
  }
}
