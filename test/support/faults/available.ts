/*
 * Whether the fault tests can run here: they need root (namespaces, veth, AF_PACKET), iproute2,
 * ping and ovs-ofctl, and the compiled CLI in dist/ (`npm test` builds it first). Returns the
 * reason they cannot, for a loud skip, or undefined.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function faultsUnavailable(extraTools: string[] = []): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root (namespaces, veth and AF_PACKET need it)';
  for (const [tool, arg] of [
    ['ip', '-V'],
    ['ping', '-V'],
    ['ovs-ofctl', '--version'],
    ...extraTools.map((t) => [t, '--version']),
  ] as const) {
    const r = spawnSync(tool!, [arg!], { stdio: 'ignore' });
    if (r.error) return `${tool} is not installed (scripts/install-test-deps.sh)`;
  }
  if (!existsSync(join(import.meta.dirname, '../../../dist/src/cli/main.js')))
    return 'dist/ is not built (run `npx tsc -p tsconfig.build.json`, as `npm test` does)';
  return undefined;
}
