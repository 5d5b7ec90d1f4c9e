#!/usr/bin/env node
// meshlint command-line entry: runs the compiled CLI (npm run build produces dist/).
import('../dist/src/cli/main.js').then(
  async ({ main }) => {
    process.exitCode = await main(process.argv);
  },
  (error) => {
    process.stderr.write(`meshlint: cannot start (${error && error.code === 'ERR_MODULE_NOT_FOUND' ? 'not built: run `npm run build`' : error && error.message})\n`);
    process.exitCode = 2;
  },
);
