/*
 * Channel benchmarks: receive (frame + decode + emit) of pipelined FLOW_MODs, sending PACKET_INs
 * (encode + coalesce), and ECHO over a real loopback TCP connection to a ConnectionManager
 * listener, one at a time (round-trip latency) and pipelined (echoes/s).
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { EventEmitter } from 'node:events';
import { ConnectionManager } from '../src/connmgr/index.js';
import { OfpChannel, type ByteStream } from '../src/openflow/channel/index.js';
import { encodeMessage } from '../src/openflow/codec.js';
import { OFPT } from '../src/openflow/constants.js';
import { OfpFramer } from '../src/openflow/framer.js';
import { matchAll } from '../src/openflow/match.js';
import { rate, type Report } from './harness.js';

class NullStream extends EventEmitter implements ByteStream {
  writableLength = 0;
  write(): boolean {
    return true;
  }
  end(): void {}
}

function openChannel(): { stream: NullStream; channel: OfpChannel } {
  const stream = new NullStream();
  const channel = new OfpChannel(stream, { probeIntervalMs: 0 });
  stream.emit('data', encodeMessage({ type: OFPT.HELLO, xid: 1, version: 1, body: Buffer.alloc(0) }));
  return { stream, channel };
}

export async function run(report: Report): Promise<void> {
  {
    const fm = encodeMessage({
      type: OFPT.FLOW_MOD,
      xid: 7,
      match: { ...matchAll(), wildcards: 0x3820e0, in_port: 1, dl_type: 0x0800, nw_proto: 6, tp_dst: 80 },
      cookie: 0n,
      command: 0,
      idle_timeout: 0,
      hard_timeout: 0,
      priority: 100,
      buffer_id: 0xffffffff,
      out_port: 0xffff,
      flags: 0,
      actions: [{ type: 0, port: 2, max_len: 0 }],
    });
    const n = Math.floor(65536 / fm.length);
    const chunk = Buffer.concat(Array.from({ length: n }, () => fm));
    const { stream, channel } = openChannel();
    let got = 0;
    channel.on('message', () => got++);
    report(
      'channel-receive-flow-mod',
      rate(() => stream.emit('data', chunk), n),
      'msg/s',
    );
    if (got === 0) throw new Error('no messages');
  }
  {
    const { channel } = openChannel();
    const data = Buffer.alloc(128, 0x5a);
    const pi = {
      type: OFPT.PACKET_IN,
      xid: 0,
      buffer_id: 1,
      total_len: 1500,
      in_port: 1,
      reason: 0,
      data,
    } as const;
    report(
      'channel-send-packet-in-128B',
      rate(() => channel.send(pi)),
      'msg/s',
    );
  }
  {
    const mgr = new ConnectionManager({ probeIntervalMs: 0 });
    const l = await mgr.listen('ptcp:0');
    const port = (l.address as { port: number }).port;
    const sock = connect({ port, host: '127.0.0.1' });
    sock.setNoDelay(true);
    await once(sock, 'connect');
    const framer = new OfpFramer();
    let waiting: (() => void) | undefined;
    let need = 0;
    sock.on('data', (c) =>
      framer.push(c, () => {
        if (--need === 0) waiting?.();
      }),
    );
    const expect = (k: number): Promise<void> => {
      need = k;
      return new Promise((r) => (waiting = r));
    };
    let p = expect(1); // our HELLO
    sock.write(encodeMessage({ type: OFPT.HELLO, xid: 1, version: 1, body: Buffer.alloc(0) }));
    await p;
    const echo = encodeMessage({ type: OFPT.ECHO_REQUEST, xid: 2, data: Buffer.alloc(64, 1) });
    const rounds = 3000;
    let t = performance.now();
    for (let i = 0; i < rounds; i++) {
      p = expect(1);
      sock.write(echo);
      await p;
    }
    report('channel-echo-rtt-tcp-loopback', ((performance.now() - t) * 1000) / rounds, 'us');
    const batch = Buffer.concat(Array.from({ length: 500 }, () => echo));
    const batches = 200;
    t = performance.now();
    for (let i = 0; i < batches; i++) {
      p = expect(500);
      sock.write(batch);
      await p;
    }
    report(
      'channel-echo-pipelined-tcp-loopback',
      (batches * 500) / ((performance.now() - t) / 1000),
      'msg/s',
    );
    sock.destroy();
    await mgr.close();
  }
}
