/*
 * The ofdp command line (yargs): one module per command under commands/, each imported lazily so that
 * `ofdp ofctl ofp-print` does not load the datapath or FFI.
 */
import yargs from 'yargs';
import { addCommands } from './commands/index.js';
import { UsageError } from './usage-error.js';

export { UsageError };

export async function main(argv: string[]): Promise<void> {
  const cli = yargs(argv)
    .scriptName('ofdp')
    .usage('$0 <command> [options]')
    .strict()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err, y) => {
      // yargs reports its own parse and coerce failures as YError: those are usage errors too.
      if (err && !(err instanceof UsageError) && err.name !== 'YError') throw err;
      const text = err ? err.message : msg;
      if (!err && argv.length === 0) y.showHelp();
      process.stderr.write(`ofdp: ${text}\n`);
      process.exit(2);
    });
  addCommands(cli);
  try {
    await cli.parseAsync();
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`ofdp: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}
