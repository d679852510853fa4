/* The top-level commands. Each module exports a yargs CommandModule; this adds them all to a parser. */
import type { Argv } from 'yargs';
import { demoCommand } from './demo.js';
import { ofctlCommand } from './ofctl.js';
import { runCommand } from './run.js';

/** Registers every command on `cli` (one call each: their argument types differ). */
export function addCommands<T>(cli: Argv<T>): Argv<T> {
  return cli.command(runCommand).command(ofctlCommand).command(demoCommand);
}
