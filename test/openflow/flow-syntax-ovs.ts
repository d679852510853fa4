/*
 * Running ovs-ofctl as the reference implementation for the flow-syntax tests: `parse-flow` for
 * many flows in one shell loop (one process start instead of one per flow from Node), and the
 * switch commands against a test listener.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OFPT } from '../../src/openflow/constants.js';
import type { TestListener } from '../support/ofp-test-listener.js';

/** Whether ovs-ofctl is installed (the tests that need it say so loudly when it is not). */
export const haveOvsOfctl: boolean = (() => {
  try {
    execFileSync('ovs-ofctl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export interface OvsResult {
  rc: number;
  stdout: string;
  /** stderr lines with vlog's "TIMESTAMP|SEQ|module|LEVEL|" prefix cut to "module|LEVEL|". */
  stderr: string[];
}

export function run(args: string[], input?: string): Promise<OvsResult> {
  return new Promise((resolve) => {
    const child = execFile('ovs-ofctl', args, { timeout: 20_000 }, (err, stdout, stderr) => {
      const rc = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ rc, stdout, stderr: cleanStderr(stderr) });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

export function cleanStderr(s: string): string[] {
  return s
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^\d{4}-\d\d-\d\dT[^|]*\|\d+\|/, ''));
}

/**
 * `ovs-ofctl -O OpenFlow10 parse-flow FLOW` for each flow, in one bash loop. Flows must not
 * contain newlines.
 */
export async function ovsParseFlows(flows: readonly string[]): Promise<OvsResult[]> {
  const dir = mkdtempSync(join(tmpdir(), `ofdp-flow-syntax-${process.pid}-`));
  try {
    writeFileSync(join(dir, 'flows'), flows.map((f) => f + '\n').join(''));
    const script = `
      while IFS= read -r line; do
        ovs-ofctl -O OpenFlow10 parse-flow "$line" >"$D/out" 2>"$D/err"; rc=$?
        printf '\\n@@@BEGIN %s\\n' "$rc"; cat "$D/out"; printf '\\n@@@ERR\\n'; cat "$D/err"; printf '\\n@@@END\\n'
      done <"$D/flows"`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        'bash',
        ['-c', script],
        { env: { ...process.env, D: dir }, maxBuffer: 64 << 20 },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      ),
    );
    const results: OvsResult[] = [];
    const re = /\n@@@BEGIN (\d+)\n([\s\S]*?)\n@@@ERR\n([\s\S]*?)\n@@@END\n/g;
    for (let m = re.exec(out); m; m = re.exec(out)) {
      results.push({ rc: Number(m[1]), stdout: m[2]!, stderr: cleanStderr(m[3]!) });
    }
    if (results.length !== flows.length)
      throw new Error(`ovs-ofctl loop gave ${results.length} results for ${flows.length} flows`);
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What ovs-ofctl logged while parsing: its log lines up to the first repeat of the normalisation log. */
export function parseTimeLog(r: OvsResult): string[] {
  const lines = r.stderr
    .filter((l) => /^(ofp_match|ofp_port)\|/.test(l))
    .map((l) => l.replace(/^[a-z_]+\|[A-Z]+\|/, ''));
  const norm = lines.indexOf('normalization changed ofp_match, details:');
  // The flow-mod printer decodes the message again and logs the same normalisation a second time.
  return norm >= 0 ? lines.slice(0, norm + 3) : lines;
}

/** The FLOW_MODs `listener` received (e.g. from ovs-ofctl add-flows), as raw bytes with the xid zeroed. */
export function flowModsReceived(listener: TestListener): Buffer[] {
  return listener.received
    .filter((r) => r.msg?.type === OFPT.FLOW_MOD)
    .map((r) => {
      const b = Buffer.from(r.raw);
      b.writeUInt32BE(0, 4);
      return b;
    });
}
