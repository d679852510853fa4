/*
 * Hosts for an integration suite that runs ofdp between network namespaces (the controllers-* and
 * faults-* tests): each host is a namespace holding one end of a veth, addressed, whose other end
 * is handed to ofdp as a `system:` port.
 *
 * suiteHosts() makes them in the enclosing describe's beforeAll and removes them (and whatever else
 * a test added to `topo`) in its afterAll. Call it before the suite's own hooks: vitest runs
 * beforeAll hooks in order and afterAll hooks in reverse, so the hosts exist before the suite
 * starts a switch on them and go only after it has stopped. A host read before beforeAll has run
 * throws rather than giving undefined.
 */
import { afterAll, beforeAll } from 'vitest';
import { Topology, type Host } from './netns.js';

export type SuiteHosts<K extends string> = { readonly [k in K]: Host } & {
  /** Where the hosts live; namespaces or veths a test adds here are removed with them. */
  readonly topo: Topology;
};

/** One host per entry of `cidrs` (name → address with prefix length, e.g. '10.77.0.1/24'). */
export function suiteHosts<K extends string>(cidrs: Readonly<Record<K, string>>): SuiteHosts<K> {
  const topo = new Topology();
  const made = new Map<string, Host>();
  beforeAll(() => {
    for (const [name, cidr] of Object.entries<string>(cidrs)) made.set(name, topo.host(cidr));
  });
  afterAll(() => topo.cleanup());
  const hosts = { topo } as SuiteHosts<K>;
  for (const name of Object.keys(cidrs))
    Object.defineProperty(hosts, name, {
      enumerable: true,
      get(): Host {
        const h = made.get(name);
        if (!h) throw new Error(`host ${name} is made in beforeAll: read it inside a hook or test`);
        return h;
      },
    });
  return hosts;
}

/** ofdp `system:` port specs for the hosts' outer veth ends, numbered 1, 2, … in order. */
export function systemPorts(...hosts: Host[]): string[] {
  return hosts.map((h, i) => `system:${h.port}=${i + 1}`);
}
