/*
 * `ofdp ofctl parse-flow FLOW` and `ofdp ofctl parse-flows FILE`: what `ovs-ofctl -O OpenFlow10
 * parse-flow(s)` prints — the usable protocols, the chosen protocol, then each FLOW_MOD as
 * `ovs-ofctl ofp-print` prints it. Warnings ovs-ofctl would log (normalisation, deprecated port
 * numbers) go to stderr; a flow ovs-ofctl rejects prints `ofdp: MESSAGE` and exits with status 1,
 * as ovs-ofctl does.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import {
  FlowSyntaxError,
  parseFlow,
  parseFlowFile,
  type ParsedFlowFile,
} from '../../../openflow/flow-syntax/index.js';
import { printMessage } from '../../../openflow/print/index.js';

/**
 * ovs-ofctl chooses the first protocol both usable and allowed by `-O OpenFlow10`; for every flow
 * ofdp accepts that is OpenFlow 1.0 with the (unused) table-id extension.
 */
const CHOSEN_PROTOCOL = 'OpenFlow10-table_id';

/** The stdout text of `ovs-ofctl -O OpenFlow10 parse-flow(s)` for parsed flows. */
export function formatParsedFlows(parsed: ParsedFlowFile): string {
  let out = `usable protocols: ${parsed.usableProtocols}\nchosen protocol: ${CHOSEN_PROTOCOL}\n`;
  for (const f of parsed.flows) out += printMessage(f.flowMod);
  return out;
}

function report(parsed: ParsedFlowFile): void {
  for (const f of parsed.flows) for (const w of f.warnings) process.stderr.write(`ofdp: ${w}\n`);
  process.stdout.write(formatParsedFlows(parsed));
}

function fail(e: unknown): void {
  if (!(e instanceof FlowSyntaxError)) throw e;
  process.stderr.write(`ofdp: ${e.message}\n`);
  process.exitCode = 1;
}

export const parseFlowCommand: CommandModule<object, { flow: string }> = {
  command: 'parse-flow <flow>',
  describe: 'print the OpenFlow 1.0 FLOW_MOD for a flow in ovs-ofctl syntax, as ovs-ofctl parse-flow',
  builder: (y: Argv) =>
    y.positional('flow', {
      type: 'string',
      demandOption: true,
      describe: 'e.g. "priority=10,tcp,tp_dst=80,actions=output:1"',
    }) as Argv<{
      flow: string;
    }>,
  handler: (args) => {
    try {
      const f = parseFlow(args.flow);
      report({ flows: [f], usableProtocols: f.usableProtocols });
    } catch (e) {
      fail(e);
    }
  },
};

export const parseFlowsCommand: CommandModule<object, { file: string }> = {
  command: 'parse-flows <file>',
  describe:
    'print the FLOW_MODs for a file of flows (one per line, # comments; - is stdin), as ovs-ofctl parse-flows',
  builder: (y: Argv) =>
    y.positional('file', {
      type: 'string',
      demandOption: true,
      describe: 'flow file, or - for stdin',
    }) as Argv<{
      file: string;
    }>,
  handler: async (args) => {
    // yargs hands a lone "-" over as an empty string.
    const file = args.file === '' ? '-' : args.file;
    let text: string;
    try {
      text = file === '-' ? readFileSync(0, 'utf8') : await readFile(file, 'utf8');
    } catch (e) {
      const why = (e as Error).message.replace(/^E[A-Z]+: /, '').replace(/, open .*$/, '');
      process.stderr.write(`ofdp: ${file}: open failed (${why.charAt(0).toUpperCase()}${why.slice(1)})\n`);
      process.exitCode = 1;
      return;
    }
    try {
      report(parseFlowFile(text, { fileName: file }));
    } catch (e) {
      fail(e);
    }
  },
};
