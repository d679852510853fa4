/*
 * `npm run bench [case-prefix...]`: runs every bench/*.bench.ts module in turn.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { report, type Report } from './harness.js';

const dir = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.js'))
  .sort();
for (const f of files) {
  if (only.length > 0 && !only.some((o) => f.startsWith(o))) continue;
  const mod = (await import(pathToFileURL(join(dir, f)).href)) as {
    run(report: Report): Promise<void> | void;
  };
  await mod.run(report);
}
