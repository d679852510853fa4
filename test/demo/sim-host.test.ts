/*
 * Simulated hosts on dummy ports of a bridge without a controller: through NORMAL (standalone) they
 * resolve each other and ping; with fail-mode secure nothing is forwarded and the ping reports
 * that ARP went unanswered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Bridge, type FailMode } from '../../src/bridge/bridge.js';
import { SimHost } from '../../src/demo/sim-host.js';
import { DummyDevice } from '../../src/netdev/dummy.js';
import { Netdev } from '../../src/netdev/netdev.js';

const bridges: Bridge[] = [];
afterEach(async () => {
  for (const b of bridges.splice(0)) await b.close();
});

function lab(failMode: FailMode): SimHost[] {
  const bridge = new Bridge({ name: 'sim', failMode });
  bridges.push(bridge);
  return [1, 2].map((i) => {
    const dev = new DummyDevice(`s${i}`);
    bridge.addPort(new Netdev(dev), i);
    return new SimHost(`h${i}`, 0x020d00000000 + i, 0x0a000000 + i, dev);
  });
}

describe('SimHost', () => {
  it('resolves and pings another simulated host through a NORMAL bridge', async () => {
    const [h1, h2] = lab('standalone') as [SimHost, SimHost];
    const r = await h1.ping(h2, { count: 3, intervalMs: 1, timeoutMs: 1000 });
    expect(r).toMatchObject({ from: 'h1', to: '10.0.0.2', sent: 3, received: 3 });
    expect(r.rttsMs).toHaveLength(3);
    expect(h1.arpCache.get(h2.ip)).toBe(h2.mac);
    expect(h2.counters).toMatchObject({ arpRepliesSent: 1, echoRepliesSent: 3 });
    // h2 learnt h1 from its ARP request and never had to ask.
    expect(h1.counters.arpRepliesSent).toBe(0);
  });

  it('reports an unanswered ARP when the switch forwards nothing', async () => {
    const [h1, h2] = lab('secure') as [SimHost, SimHost];
    const r = await h1.ping(h2, { count: 3, timeoutMs: 50 });
    expect(r).toMatchObject({ sent: 0, received: 0, error: 'no ARP reply from 10.0.0.2' });
    expect(h2.counters.rxFrames).toBe(0);
  });
});
