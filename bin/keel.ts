#!/usr/bin/env node
/** keel: the command-line client of keeld. Everything lives in ./cli; this only sets the exit code. */
import { runCli } from './cli/main.js';

process.exitCode = await runCli(process.argv.slice(2));
