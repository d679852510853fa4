#!/usr/bin/env node
// Thin launcher: the CLI is compiled by `npm ci` (the `prepare` script) into dist/.
import { main } from '../dist/src/cli/main.js';

await main(process.argv.slice(2));
