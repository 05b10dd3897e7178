#!/usr/bin/env node
// The `alexnet` command: runs the compiled JavaScript in dist/ (npm run build).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error(`alexnet: ${main.pathname} is missing: run npm run build (in a clone) or reinstall the package`);
  process.exit(1);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
