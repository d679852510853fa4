/*
 * Maps provider type names to providers, and port specs ("tap:NAME", "system:eth0", a bare name
 * meaning "system") to open devices.
 *
 * The Linux providers are imported lazily: loading them loads libc through koffi, which the dummy
 * provider (and every test of the layers above) must not need.
 */
import { DummyStreamProvider } from './dummy-pstream.js';
import { NetdevError, type NetdevDevice, type NetdevOpenOptions, type NetdevProvider } from './provider.js';

type Loader = () => Promise<NetdevProvider>;

export class NetdevRegistry {
  private readonly loaders = new Map<string, Loader>();
  private readonly loaded = new Map<string, NetdevProvider>();

  /** Registers a provider (or a loader for one) under its type name, replacing any previous one. */
  register(type: string, provider: NetdevProvider | Loader): void {
    this.loaded.delete(type);
    if (typeof provider === 'function') this.loaders.set(type, provider);
    else {
      this.loaders.delete(type);
      this.loaded.set(type, provider);
    }
  }

  types(): string[] {
    return [...new Set([...this.loaded.keys(), ...this.loaders.keys()])].sort();
  }

  async provider(type: string): Promise<NetdevProvider> {
    let p = this.loaded.get(type);
    if (p) return p;
    const load = this.loaders.get(type);
    if (!load) throw new NetdevError('EAFNOSUPPORT', `unknown netdev type "${type}"`);
    p = await load();
    this.loaded.set(type, p);
    return p;
  }

  /** Opens "type:name" (or a bare "name" as `defaultType`). */
  async open(spec: string, options?: NetdevOpenOptions, defaultType = 'system'): Promise<NetdevDevice> {
    const { type, name } = parseNetdevSpec(spec, defaultType);
    return (await this.provider(type)).open(name, options);
  }
}

export function parseNetdevSpec(spec: string, defaultType = 'system'): { type: string; name: string } {
  const i = spec.indexOf(':');
  if (i < 0) return { type: defaultType, name: spec };
  const type = spec.slice(0, i);
  const name = spec.slice(i + 1);
  if (!type || !name) throw new NetdevError('EINVAL', `bad netdev "${spec}" (expected TYPE:NAME)`);
  return { type, name };
}

/** A registry with dummy (with its pstream/stream options), tap, system and internal. */
export function defaultRegistry(): NetdevRegistry {
  const r = new NetdevRegistry();
  r.register('dummy', new DummyStreamProvider());
  r.register('tap', async () => new (await import('./linux/tap.js')).TapProvider());
  r.register('internal', async () => new (await import('./linux/internal.js')).InternalProvider());
  r.register('system', async () => new (await import('./linux/system.js')).SystemProvider());
  return r;
}
