#!/usr/bin/env node
/** keel: the command-line client of keeld. */
import { runCli } from './cli/main.js';

process.exitCode = await runCli(process.argv.slice(2));
