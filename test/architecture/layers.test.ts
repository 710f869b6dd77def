import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The layer rules of .dependency-cruiser.cjs (run by `npm run lint`) against a tiny tree
 * that breaks each on purpose: every broken import is reported under the rule's name.
 */
const config = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as IConfiguration;

let root: string;
let violations: { rule: string; from: string; to: string }[];

const FILES: Record<string, string> = {
  'src/shared/names.ts': 'export const n = 1;\n',
  'src/api/app.ts': "import { n } from '../shared/names.js';\nexport type ApiSettings = { n: typeof n };\n",
  'src/sandbox/credentials.ts': 'export const SANDBOX = {};\n',
  'src/config/config.ts': "import { SANDBOX } from '../sandbox/credentials.js';\nexport const c = SANDBOX;\n",
  'src/steps/github.step.ts': "import type { ApiSettings } from '../api/app.js';\nexport type S = ApiSettings;\n",
  'src/providers/github.client.ts': "import { c } from '../config/config.js';\nexport const g = c;\n",
  'src/rollback/rollback.processor.ts': "import { w } from '../worker/step.processor.js';\nexport const r = w;\n",
  'src/worker/step.processor.ts': "import { n } from '../shared/names.js';\nexport const w = n;\n",
  'src/runs/queues.ts': 'export const q = 1;\n',
  'src/cli/commands.ts':
    "import { q } from '../runs/queues.js';\nimport type { ApiSettings } from '../api/app.js';\nexport const x: ApiSettings = { n: q };\n",
  'src/main.ts':
    "import { c } from './config/config.js';\nimport { SANDBOX } from './sandbox/credentials.js';\nexport { c, SANDBOX };\n",
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'layers-'));
  for (const [file, text] of Object.entries(FILES)) {
    await mkdir(dirname(join(root, file)), { recursive: true });
    await writeFile(join(root, file), text);
  }
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const { tsConfig: _ts, ...options } = config.options ?? {};
    const result = await cruise(['src'], { ...options, ruleSet: { forbidden: config.forbidden }, validate: true });
    violations = (result.output as ICruiseResult).summary.violations.map((v) => ({
      rule: v.rule.name,
      from: v.from,
      to: v.to,
    }));
  } finally {
    process.chdir(cwd);
  }
});
afterAll(async () => rm(root, { recursive: true, force: true }));

describe('layers (dependency-cruiser)', () => {
  it('When a step imports the API, even for a type only, then the lint fails naming the rule', () => {
    expect(violations).toContainEqual({
      rule: 'steps-below-runs',
      from: 'src/steps/github.step.ts',
      to: 'src/api/app.ts',
    });
  });

  it('When config imports the sandbox, then the lint fails naming the rule', () => {
    expect(violations).toContainEqual({
      rule: 'config-knows-no-sandbox',
      from: 'src/config/config.ts',
      to: 'src/sandbox/credentials.ts',
    });
  });

  it('When a provider client reads config, or rollback imports the worker, then each is named', () => {
    const rules = violations.map((v) => `${v.rule} ${v.from}`);
    expect(rules).toContain('config-is-read-by-entry-points src/providers/github.client.ts');
    expect(rules).toContain('rollback-is-a-peer-of-the-worker src/rollback/rollback.processor.ts');
  });

  it('When the CLI runs server code, then the lint fails; reading an answer type is allowed', () => {
    const fromCli = violations.filter((v) => v.from === 'src/cli/commands.ts');
    expect(fromCli).toEqual([{ rule: 'cli-talks-http-only', from: 'src/cli/commands.ts', to: 'src/runs/queues.ts' }]);
  });

  it('When an entry point wires config and the sandbox, then that is allowed', () => {
    expect(violations.filter((v) => v.from === 'src/main.ts')).toEqual([]);
  });
});
