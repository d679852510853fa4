import { describe, expect, it } from 'vitest';
import { NetdevRegistry, defaultRegistry, parseNetdevSpec } from '../../src/netdev/registry.js';
import { DummyProvider } from '../../src/netdev/dummy.js';
import { NetdevError } from '../../src/netdev/provider.js';

describe('netdev registry', () => {
  it('parses TYPE:NAME specs, a bare name meaning the default type', () => {
    expect(parseNetdevSpec('tap:tap0')).toEqual({ type: 'tap', name: 'tap0' });
    expect(parseNetdevSpec('eth0')).toEqual({ type: 'system', name: 'eth0' });
    expect(parseNetdevSpec('p1', 'dummy')).toEqual({ type: 'dummy', name: 'p1' });
    expect(() => parseNetdevSpec(':x')).toThrow(NetdevError);
    expect(() => parseNetdevSpec('tap:')).toThrow(NetdevError);
  });

  it('knows dummy, tap, system and internal, and opens dummy ports without privileges', async () => {
    const r = defaultRegistry();
    expect(r.types()).toEqual(['dummy', 'internal', 'system', 'tap']);
    const d = await r.open('dummy:p1');
    expect(d.type).toBe('dummy');
    expect(d.name).toBe('p1');
    await d.close();
  });

  it('rejects unknown types and lets callers register their own', async () => {
    const r = new NetdevRegistry();
    await expect(r.open('nope:x')).rejects.toMatchObject({ errno: 'EAFNOSUPPORT' });
    r.register('fake', async () => new DummyProvider());
    expect((await r.open('fake:y')).name).toBe('y');
  });
});
