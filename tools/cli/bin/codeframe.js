#!/usr/bin/env node
// The installed `codeframe` command: runs the built CLI, or says how to build it.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'codeframe: the CLI is not built yet: run `npm run build` (or `npm start`) first\n',
  );
  process.exit(2);
}
await import(main.href);
