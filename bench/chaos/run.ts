/**
 * `npm run chaos`: issue 8's chaos run. Starts its own private Redis, the sandbox, the API and
 * worker processes; posts N runs under faults, kills and a Redis restart; checks SPEC 4; prints one
 * table, writes JSON to bench/results/chaos/, exits 1 naming each violation. `-- --help` for flags.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, runChaos } from './chaos.js';
import { parseChaosOptions, USAGE } from './options.js';
import { chaosTable, violationLines } from './report.js';

const parsed = parseChaosOptions(process.argv.slice(2), process.env);
if (parsed === 'help') {
  console.log(USAGE);
  process.exit(0);
}
const log = (line: string) => console.error(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);
const done = cleanup();
// Ctrl-C or a kill: the workers, the sandbox, the API and the private Redis go too.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void done.run().finally(() => process.exit(130));
  });

let code = 0;
try {
  const result = await runChaos(parsed, log, done);
  console.log('');
  console.log(chaosTable(result));
  const lines = violationLines(result);
  if (lines.length) {
    console.log(`\nFAILED: ${result.violations.length} violation(s):`);
    for (const l of lines) console.log(`  - ${l}`);
    code = 1;
  } else console.log('\nNo violation of SPEC 4.');
  for (const s of result.stuck.slice(0, 10))
    console.log(`\nstuck ${s.runId} (${s.clientId}): ${s.state}; ${s.steps}\n  history: ${s.history}`);
  mkdirSync(parsed.outDir, { recursive: true });
  const file = join(parsed.outDir, `${result.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ ...result, table: chaosTable(result, true) }, null, 2));
  console.log(`\nJSON: ${file}\nLogs: ${result.logDir}`);
} catch (e) {
  console.error(`chaos: ${(e as Error).stack ?? String(e)}`);
  code = 2;
} finally {
  await done.run();
}
process.exit(code);
