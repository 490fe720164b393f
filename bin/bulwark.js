#!/usr/bin/env node
'use strict';
/*
 * The `bulwark` executable (package.json "bin"). Bulwark is TypeScript and ships as source, as
 * the Pulumi program itself does (Pulumi runs index.ts through ts-node): ts-node is a runtime
 * dependency, so this works the same in a checkout and in node_modules/bulwark after npm install,
 * with no build step to forget. Transpile only: `npm test` type-checks.
 * The project is given explicitly: ts-node would otherwise look for a tsconfig from the user's
 * directory, and it skips files under node_modules/ relative to that project's folder, which here
 * is Bulwark's own, so its sources compile wherever it is installed.
 */
const { join } = require('node:path');

const root = join(__dirname, '..');
require('ts-node').register({ transpileOnly: true, project: join(root, 'tsconfig.json'), compilerOptions: { sourceMap: true } });
require(join(root, 'cli', 'main.ts'))
  .bulwark(process.argv.slice(2))
  .then((code) => process.exit(code));
