/* The list of top-level commands. Each module exports a yargs CommandModule. */
import type { CommandModule } from 'yargs';
import { demoCommand } from './demo.js';
import { ofctlCommand } from './ofctl.js';
import { runCommand } from './run.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- yargs' CommandModule generics differ per command
export const commands: CommandModule<any, any>[] = [runCommand, ofctlCommand, demoCommand];
