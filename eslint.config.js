// ESLint flat config. `npm run lint` (= `eslint .`) runs it; CI runs it through .ci/run.
//
// - src/, test/ and bench/ are linted with type information (typescript-eslint's project service
//   reads tsconfig.json), so promise rules such as no-floating-promises can see types.
// - Config files at the root (eslint.config.js, vitest.config.ts, ...) are linted without type info.
// - The layers of src/ are enforced by dependency-cruiser (.dependency-cruiser.cjs), also run by `npm run lint`.
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
    name: 'project/commonjs',
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...NODE_GLOBALS, module: 'writable', require: 'readonly' } },
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
);
