/*
 * Frames through real ports to and from another network namespace:
 * - a system port (veth end in our namespace) exchanges frames with a packet socket on the peer end
 *   inside a namespace, byte-exact both ways, VLAN-tagged (802.1Q, 802.1ad) and jumbo frames included;
 * - TCP and UDP work through a system port and a tap joined by a forwarder written here in JS: the
 *   namespace's stack sends checksum-offloaded and TSO frames into the veth, which the system port
 *   must complete and segment before they reach the tap (whose stack verifies every checksum).
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from './collector.js';
import { Netns, isTestFrame, sh, skipReason, testFrame, trySh, uniqueName, vethPair } from './helpers.js';
import type { NetdevDevice } from '../../src/netdev/provider.js';
import type { PacketPeer } from './packet-peer.js';
import type { SystemDevice } from '../../src/netdev/linux/system.js';

const noDevices = skipReason();
const hasPython = trySh('command -v python3');
if (!noDevices && hasPython === undefined)
  console.warn('\n*** SKIPPING the UDP GSO test: python3 is not installed ***\n');

function tagged(src: number, tag: number, tpid: number, tci: number, len = 100): Buffer {
  const inner = testFrame(src, tag, len - 4);
  return Buffer.concat([
    inner.subarray(0, 12),
    Buffer.from([tpid >> 8, tpid & 0xff, tci >> 8, tci & 0xff]),
    inner.subarray(12),
  ]);
}

interface Child {
  /** Resolves when the child prints "ready". */
  ready: Promise<void>;
  /** The child's stdout once it exits with status 0. */
  done: Promise<string>;
}

/** Runs `node -e script` inside `ns` without blocking our event loop (we forward its frames). */
function startIn(ns: Netns, script: string, timeoutMs = 20000): Child {
  const p = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => (onReady = r));
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready')) onReady();
  });
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
  const done = new Promise<string>((resolve, reject) =>
    p.on('exit', (code) => {
      clearTimeout(t);
      if (code === 0) resolve(out.replace(/^ready\n/, ''));
      else reject(new Error(`child in ${ns.name} exited ${code}: ${err}`));
    }),
  );
  // A child that dies before "ready" fails the wait instead of hanging it.
  const readyOrDeath = Promise.race([ready, done.then(() => undefined)]);
  return { ready: readyOrDeath, done };
}

/** Independent reference: is the TCP/UDP checksum of this IPv4 frame correct? (true for non-TCP/UDP) */
function l4ChecksumOk(f: Buffer): boolean {
  if (f.readUInt16BE(12) !== 0x0800) return true;
  const ihl = (f[14]! & 15) * 4;
  const proto = f[23]!;
  if (proto !== 6 && proto !== 17) return true;
  const total = f.readUInt16BE(16);
  const l4 = 14 + ihl;
  const l4len = total - ihl;
  if (proto === 17 && f.readUInt16BE(l4 + 6) === 0) return true;
  let s = proto + l4len;
  for (let i = 26; i < 34; i += 2) s += f.readUInt16BE(i);
  for (let i = 0; i < l4len; i += 2) s += (f[l4 + i]! << 8) | (i + 1 < l4len ? f[l4 + i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s === 0xffff;
}

describe.skipIf(!!noDevices)('system port ↔ another namespace', () => {
  let ns: Netns;
  let a: string;
  let b: string;
  let dev: NetdevDevice;
  let rx: Collector;
  let peer: PacketPeer;
  const src = 0x0200_0000_0000 + (process.pid % 0xffff) * 0x10000;

  beforeAll(async () => {
    ns = new Netns();
    ({ a, b } = vethPair(ns));
    sh(`ip link set ${a} mtu 9000`);
    ns.exec(`ip link set ${b} mtu 9000`);
    const { SystemProvider } = await import('../../src/netdev/linux/system.js');
    const { PacketPeer } = await import('./packet-peer.js');
    dev = await new SystemProvider().open(a);
    rx = new Collector(dev);
    peer = new PacketPeer(b, ns);
  });
  afterAll(async () => {
    await dev?.close();
    peer?.close();
    trySh(`ip link del ${a}`);
    ns?.delete();
  });

  it('receives frames from the namespace byte-exact, tags and jumbo frames included', async () => {
    const frames = [
      testFrame(src, 1, 60),
      tagged(src, 2, 0x8100, 0x0064), // VID 100
      tagged(src, 3, 0x8100, 0xe00a), // PCP 7, VID 10
      tagged(src, 4, 0x8100, 0x0000), // priority tag, VID 0
      tagged(src, 5, 0x88a8, 0x0123), // 802.1ad S-tag
      testFrame(src, 6, 9014), // jumbo, larger than a standard MTU
    ];
    peer.send(...frames);
    for (const f of frames) {
      const tag = f.readUInt32BE(f.readUInt16BE(12) === 0x88b5 ? 14 : 18);
      const got = await rx.next(
        (x) =>
          x.readUIntBE(6, 6) === src && x.includes(Buffer.from(f.subarray(12, 22))) && x.length === f.length,
      );
      expect(got.equals(f), `frame ${tag}`).toBe(true);
    }
  });

  it('sends frames into the namespace byte-exact, tags and jumbo frames included', async () => {
    const s2 = src + 1;
    const frames = [
      testFrame(s2, 11, 60),
      tagged(s2, 12, 0x8100, 0x0fff),
      tagged(s2, 13, 0x8100, 0x2005),
      tagged(s2, 14, 0x88a8, 0x0042),
      testFrame(s2, 15, 9014),
    ];
    for (const f of frames) dev.send(f, 0, f.length);
    dev.flush();
    for (const f of frames) {
      const got = await peer.next(
        (x) =>
          x.readUIntBE(6, 6) === s2 && x.length === f.length && x.subarray(12, 22).equals(f.subarray(12, 22)),
      );
      expect(got.equals(f)).toBe(true);
    }
    expect(rx.frames.some((x) => isTestFrame(x) && x.readUIntBE(6, 6) === s2)).toBe(false); // not our own output
  });
});

describe.skipIf(!!noDevices)('TCP and UDP through a system port and a tap, forwarded in JS', () => {
  // ns1 (client) ─ veth ─ [system port] ⇄ JS forwarder ⇄ [tap] ─ ns2 (server). The tap's kernel
  // side is moved into ns2 after ofdp opened it (its fd keeps working), so no address is added to
  // the test machine's own namespace.
  let ns1: Netns;
  let ns2: Netns;
  let a: string;
  let b: string;
  let tapName: string;
  let sys: NetdevDevice;
  let tap: NetdevDevice;
  const big: number[] = [];
  let badChecksums = 0;
  let fromSys = 0;

  beforeAll(async () => {
    ns1 = new Netns();
    ns2 = new Netns();
    ({ a, b } = vethPair(ns1));
    ns1.exec(`ip addr add 10.9.0.2/24 dev ${b}`);
    // The client side keeps every offload on: TSO, GSO and TX checksum offload on its veth.
    ns1.exec(`ethtool -K ${b} tx on tso on gso on`);
    const { SystemProvider } = await import('../../src/netdev/linux/system.js');
    const { TapProvider } = await import('../../src/netdev/linux/tap.js');
    tapName = uniqueName('tf');
    tap = await new TapProvider().open(tapName);
    sh(`ip link set ${tapName} netns ${ns2.name}`);
    ns2.exec(`sysctl -qw net.ipv6.conf.${tapName}.disable_ipv6=1`);
    ns2.exec(`ip addr add 10.9.0.1/24 dev ${tapName}`);
    ns2.exec(`ip link set ${tapName} up`);
    sys = await new SystemProvider().open(a);
    sys.startReceive((bt) => {
      for (let i = 0; i < bt.count; i++) {
        const f = bt.bufs[i]!.subarray(bt.offs[i]!, bt.offs[i]! + bt.lens[i]!);
        fromSys++;
        if (f.length > 1514) big.push(f.length);
        if (!l4ChecksumOk(f)) badChecksums++;
        tap.send(bt.bufs[i]!, bt.offs[i]!, bt.lens[i]!);
      }
      tap.flush();
    });
    tap.startReceive((bt) => {
      for (let i = 0; i < bt.count; i++) sys.send(bt.bufs[i]!, bt.offs[i]!, bt.lens[i]!);
      sys.flush();
    });
  });
  afterAll(async () => {
    await sys?.close();
    await tap?.close();
    trySh(`ip link del ${a}`);
    ns1?.delete();
    ns2?.delete();
  });

  it('carries a TCP connection (4 MB echoed) with offloaded checksums and TSO on the far side', async () => {
    const server = startIn(
      ns2,
      `const net = require('net');
       const srv = net.createServer((c) => { c.pipe(c); c.on('close', () => srv.close()); });
       srv.listen(5001, '10.9.0.1', () => console.log('ready'));`,
    );
    await server.ready;
    const out = await startIn(
      ns1,
      `const net = require('net'); const crypto = require('crypto');
       const data = crypto.randomBytes(4 << 20); const got = [];
       const s = net.connect(5001, '10.9.0.1', () => s.end(data));
       s.on('data', (d) => got.push(d));
       s.on('end', () => { const r = Buffer.concat(got); console.log(r.equals(data) ? 'ok' : 'mismatch ' + r.length); });
       s.on('error', (e) => { console.log('error ' + e.message); process.exit(1); });`,
    ).done;
    expect(out.trim()).toBe('ok');
    await server.done;
    expect(badChecksums).toBe(0);
    expect(big).toEqual([]); // super-frames were segmented before reaching the datapath
    expect(fromSys).toBeGreaterThan(100);
    // The offload paths really ran: the client's stack handed the veth TSO super-frames and
    // partial checksums, and the port fixed them.
    const k = (sys as SystemDevice).offloadCounts();
    expect(k.segmented).toBeGreaterThan(0);
    expect(k.checksummed).toBeGreaterThan(0);
    expect(k.dropped).toBe(0);
  });

  /** Starts a UDP receiver in ns2 that prints the hex of the first `n` datagrams on port 5002. */
  function udpReceiver(n: number): Child {
    return startIn(
      ns2,
      `const s = require('dgram').createSocket('udp4'); const got = [];
       const done = () => { console.log(JSON.stringify(got)); process.exit(0); };
       s.on('message', (m) => { got.push(m.toString('hex')); if (got.length === ${n}) done(); });
       s.bind(5002, '10.9.0.1', () => console.log('ready'));
       setTimeout(done, 8000);`,
    );
  }

  it.skipIf(hasPython === undefined)(
    'cuts UDP_SEGMENT (UDP GSO) super-datagrams into datagrams',
    async () => {
      const rx = udpReceiver(5);
      await rx.ready;
      const before = (sys as SystemDevice).offloadCounts().segmented;
      // One send of 5000 bytes with a 1000-byte segment size: the client's stack hands the veth one
      // GSO_UDP_L4 super-frame, which the system port must split.
      const py = [
        'import socket',
        's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
        's.setsockopt(socket.SOL_UDP, 103, 1000)',
        "s.sendto(bytes(range(250)) * 20, ('10.9.0.1', 5002))",
      ].join('; ');
      await new Promise<void>((resolve, reject) => {
        const p = spawn('ip', ['netns', 'exec', ns1.name, 'python3', '-c', py], { stdio: 'inherit' });
        p.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`python exited ${c}`))));
      });
      const got = (JSON.parse(await rx.done) as string[]).map((h) => Buffer.from(h, 'hex'));
      expect(got.map((g) => g.length)).toEqual([1000, 1000, 1000, 1000, 1000]);
      const want = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i % 1000) % 250));
      expect(Buffer.concat(got).equals(want)).toBe(true);
      expect((sys as SystemDevice).offloadCounts().segmented).toBeGreaterThan(before);
      expect(badChecksums).toBe(0);
    },
  );

  it('carries UDP datagrams whose checksums the far side left to offload', async () => {
    const rx = udpReceiver(3);
    await rx.ready;
    await startIn(
      ns1,
      `const s = require('dgram').createSocket('udp4'); let n = 0;
       for (const m of ['one', 'two', 'x'.repeat(1400)]) s.send(m, 5002, '10.9.0.1', () => { if (++n === 3) s.close(); });`,
    ).done;
    const got = (JSON.parse(await rx.done) as string[]).map((h) => Buffer.from(h, 'hex').toString());
    expect(got.sort()).toEqual(['one', 'two', 'x'.repeat(1400)].sort());
    expect(badChecksums).toBe(0);
  });
});
