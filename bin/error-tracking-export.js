#!/usr/bin/env node
// Runs the TypeScript sources through tsx so `npm ci` alone yields a working CLI, with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../lib/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
