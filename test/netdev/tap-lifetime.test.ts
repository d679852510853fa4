/*
 * Taps ofdp creates disappear when closed, and also when the process holding them dies however it
 * dies (SIGKILL); kept taps survive; existing persistent taps are attached and left in place.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NetdevError } from '../../src/netdev/provider.js';
import { linkExists, sh, skipReason, trySh, uniqueName, vethPair } from './helpers.js';

const noDevices = skipReason();

describe.skipIf(!!noDevices)('tap lifetime', () => {
  const leftovers: string[] = [];
  afterAll(() => {
    for (const n of leftovers) trySh(`ip link del ${n}`);
  });

  it('a created tap is gone after close', async () => {
    const { TapProvider } = await import('../../src/netdev/linux/tap.js');
    const name = uniqueName('tl');
    leftovers.push(name);
    const dev = await new TapProvider().open(name);
    expect(dev.created).toBe(true);
    expect(linkExists(name)).toBe(true);
    expect(sh(`ip -d -j link show dev ${name}`)).toContain('"tap"');
    await dev.close();
    expect(linkExists(name)).toBe(false);
  });

  it('a kept tap survives close and is attached, not recreated, next time', async () => {
    const { TapProvider } = await import('../../src/netdev/linux/tap.js');
    const name = uniqueName('tk');
    leftovers.push(name);
    const first = await new TapProvider().open(name, { keep: true });
    const mac = first.getEtherAddr();
    await first.close();
    expect(linkExists(name)).toBe(true);
    const again = await new TapProvider().open(name);
    expect(again.created).toBe(false);
    expect(again.getEtherAddr()).toBe(mac);
    await again.close();
    expect(linkExists(name)).toBe(true); // attached taps are left in place
    sh(`ip link del ${name}`);
  });

  it('attaches to an existing persistent tap and leaves it on close', async () => {
    const { TapProvider } = await import('../../src/netdev/linux/tap.js');
    const name = uniqueName('tp');
    leftovers.push(name);
    sh(`ip tuntap add dev ${name} mode tap`);
    const dev = await new TapProvider().open(name);
    expect(dev.created).toBe(false);
    expect(dev.getFlags().up).toBe(true);
    await dev.close();
    expect(linkExists(name)).toBe(true);
  });

  it('refuses a name that belongs to another kind of device', async () => {
    const { TapProvider } = await import('../../src/netdev/linux/tap.js');
    const { a } = vethPair();
    leftovers.push(a);
    await expect(new TapProvider().open(a)).rejects.toBeInstanceOf(NetdevError);
    expect(linkExists(a)).toBe(true);
  });

  it('a tap created by a process killed with SIGKILL is gone', async () => {
    // The child runs the compiled tap provider: `npm test` builds before it runs vitest.
    const childJs = resolve('test/netdev/fixtures/tap-child.mjs');
    expect(existsSync(resolve('dist/src/netdev/linux/tap.js')), 'run `npm run build` first').toBe(true);
    {
      const name = uniqueName('tc');
      leftovers.push(name);
      const child = spawn(process.execPath, [childJs, name], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
      await new Promise<void>((ready, fail) => {
        let buf = '';
        child.stdout!.on('data', (d: Buffer) => {
          buf += d.toString();
          if (buf.includes(`ready ${name}`)) ready();
        });
        child.on('exit', () => fail(new Error(`child exited before opening the tap: ${buf}`)));
      });
      expect(linkExists(name)).toBe(true);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      expect(linkExists(name)).toBe(false);
    }
  });
});
