// Layers of src/, enforced by `npm run lint` (depcruise src). Type-only imports count
// (tsPreCompilationDeps), so a type cannot smuggle a dependency the wrong way.
//
//   entry points (src/main.ts, src/<part>/main.ts) → config, and anything they wire
//   api → runs → steps → providers → shared
//   worker → rollback (the runtime wires the rollback processor), runs, steps, providers, shared
//   rollback → runs, steps, providers, shared (a peer of the worker's processors, not below them)
//   sandbox → shared only; nothing but entry points imports the sandbox
//   cli → shared, and the API's answer types (type-only): it talks HTTP to the API
const ENTRY = '^src/(main\\.ts|[^/]+/main\\.ts)$';
const layer = (name, from, allowed, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from, pathNot: ENTRY },
  to: { path: '^src/', pathNot: `^src/(${allowed.join('|')})/` },
});

module.exports = {
  forbidden: [
    layer('shared-is-the-bottom', '^src/shared/', ['shared'], 'src/shared imports nothing above it.'),
    layer('providers-below-steps', '^src/providers/', ['providers', 'shared'], 'provider clients are HTTP only.'),
    layer(
      'steps-below-runs',
      '^src/steps/',
      ['steps', 'providers', 'shared'],
      'a step knows its clients, not runs, the worker or the API.',
    ),
    layer(
      'runs-below-api-and-worker',
      '^src/runs/',
      ['runs', 'steps', 'providers', 'shared'],
      'runs are used by the API and the worker, never the other way.',
    ),
    layer(
      'rollback-is-a-peer-of-the-worker',
      '^src/rollback/',
      ['rollback', 'runs', 'steps', 'providers', 'shared'],
      'rollback does not import the worker.',
    ),
    layer(
      'worker-wires-processors',
      '^src/worker/',
      ['worker', 'rollback', 'runs', 'steps', 'providers', 'shared'],
      'the worker never imports the API or the sandbox.',
    ),
    layer(
      'api-never-runs-a-step',
      '^src/api/',
      ['api', 'runs', 'shared'],
      'the API enqueues; it never imports steps, providers, the worker or the sandbox.',
    ),
    layer(
      'sandbox-imports-only-shared',
      '^src/sandbox/',
      ['sandbox', 'shared'],
      'the sandbox is a stand-in for the providers: it knows nothing of the product but src/shared.',
    ),
    {
      name: 'cli-talks-http-only',
      comment:
        "the CLI (src/cli) reaches the product over HTTP only: it may use src/shared and read the API's answer types, never run server code.",
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/', pathNot: '^src/(cli|shared)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'nothing-imports-the-cli',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'config-is-read-by-entry-points',
      comment: 'only entry points read the configuration; they pass values down.',
      severity: 'error',
      from: { path: '^src/', pathNot: ENTRY },
      to: { path: '^src/config/' },
    },
    {
      name: 'config-knows-no-sandbox',
      comment: "the entry point hands the sandbox's credentials to the config it builds.",
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/sandbox/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    includeOnly: '^src/',
  },
};
