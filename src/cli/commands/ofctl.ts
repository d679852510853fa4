/*
 * `ofdp ofctl …`: offline OpenFlow 1.0 tools in the manner of ovs-ofctl (printing and flow parsing).
 * Each subcommand lives in its own module under ofctl/.
 */
import type { Argv, CommandModule } from 'yargs';
import { ofpPrintCommand } from './ofctl/ofp-print.js';
import { parseFlowCommand, parseFlowsCommand } from './ofctl/parse-flow.js';

export const ofctlCommand: CommandModule = {
  command: 'ofctl <subcommand>',
  describe: 'OpenFlow 1.0 tools in the manner of ovs-ofctl (ofp-print, parse-flow, …)',
  builder: (y: Argv) =>
    y.command(ofpPrintCommand).command(parseFlowCommand).command(parseFlowsCommand).demandCommand(1),
  handler: () => undefined,
};
