#!/usr/bin/env node
// `client-provisioner` (npx client-provisioner …): the CLI's TypeScript run with tsx in a checkout,
// or the compiled dist/cli/main.js where only the build is present (npm run build).
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { tsImport } = await import('tsx/esm/api');
  await tsImport(source.href, import.meta.url);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
