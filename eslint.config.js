// ESLint flat config. `npm run lint` (= `eslint .`) runs it; CI runs it through .ci/run.
//
// - src/, test/ and bench/ are linted with type information (typescript-eslint's project service
//   reads tsconfig.json), so promise rules such as no-floating-promises can see types.
// - Config files at the root (eslint.config.js, vitest.config.ts, ...) are linted without type info.
// - Import boundaries between the folders of src/ are enforced with no-restricted-imports below.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

const TYPED = ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'];

/** Node's globals, for the plain .js/.mjs files (config, scripts): no `globals` package needed. */
const NODE_GLOBALS = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'URLSearchParams',
    'fetch',
    'AbortController',
    'AbortSignal',
    'TextEncoder',
    'TextDecoder',
    'structuredClone',
    'queueMicrotask',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'clearImmediate',
  ].map((name) => [name, 'readonly']),
);

/**
 * A relative (`../../api/x.js`) or src-rooted (`src/api/x.js`) import of one of src/'s top folders.
 * Matching the specifier, not the resolved path, is deliberate: it needs no resolver plugin, and the
 * only false positive would be a sub-folder named like a top folder (e.g. src/steps/api/), which the
 * layout does not have and should not grow.
 */
const folder = (name) => `^(?:(?:\\.\\./)+|(?:.*/)?src/)${name}(?:/|$)`;

/**
 * One boundary rule per folder. Type-only imports (`import type`) are allowed: they vanish at
 * compile time (verbatimModuleSyntax), so they cannot make the API call a provider. Set
 * allowTypeImports to false to forbid those as well.
 */
const boundary = (files, forbidden) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: forbidden.map(([name, why]) => ({
          regex: folder(name),
          message: why,
          allowTypeImports: true,
        })),
      },
    ],
  },
});

export default defineConfig(
  globalIgnores(['dist/', 'node_modules/', 'coverage/', '.vitest-cache/']),

  js.configs.recommended,
  tseslint.configs.recommended,

  {
    name: 'project/all',
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },

  {
    name: 'project/plain-js',
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: NODE_GLOBALS },
  },

  {
    name: 'project/type-checked',
    files: TYPED,
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // A dropped promise in a worker is a silent bug; `void p` marks a deliberate fire-and-forget.
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      // Express 5 awaits async handlers (its types accept a Promise), so this flags real mistakes only.
      '@typescript-eslint/no-misused-promises': 'error',
      // async methods that implement a Promise-returning interface need not await anything.
      '@typescript-eslint/require-await': 'off',
      // Kept from the recommended set, re-stated for clarity.
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
    },
  },

  {
    name: 'project/tests',
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // Tests read JSON bodies and pg rows loosely (`(s: any) => s.state`) and pass spies around.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },

  // ---- import boundaries (SPEC §2, STYLE "Habits") ----
  boundary(
    ['src/steps/**/*.ts', 'src/rollback/**/*.ts'],
    [['api', 'steps and rollback run in the worker and never import the API (src/api).']],
  ),
  boundary(
    ['src/api/**/*.ts'],
    [
      ['providers', 'the API never calls a provider: enqueue a job instead of importing src/providers.'],
      ['steps', 'the API never runs a step: enqueue a job instead of importing src/steps.'],
      ['sandbox', 'the API does not import the sandbox emulators (src/sandbox).'],
    ],
  ),
  boundary(
    ['src/providers/**/*.ts'],
    [
      ['worker', 'provider clients are HTTP only and must not import the worker (src/worker).'],
      ['api', 'provider clients are HTTP only and must not import the API (src/api).'],
    ],
  ),
);
