/**
 * The short version of `npm run chaos` (issue 8), in `npm test`: real processes (sandbox, API, two
 * worker processes), real SIGKILLs, a real restart of a private Redis with AOF, faults at every
 * provider; then SPEC 4 checked against the sandbox. The seed fixes the plan; what it asserts, zero
 * violations, holds whatever the interleaving. It runs alone (vitest.config.ts) so that no other
 * file's load decides whether a run looks stuck.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, runChaos, type ChaosResult } from '../../bench/chaos/chaos.js';
import { parseChaosOptions } from '../../bench/chaos/options.js';
import { chaosTable, violationLines } from '../../bench/chaos/report.js';

const out = mkdtempSync(join(tmpdir(), 'cp-chaos-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('chaos, short (issue 8, SPEC 4)', () => {
  it('When 16 runs meet faults at every provider, workers SIGKILLed every few seconds and one Redis restart, then every run ends in a true final state with nothing duplicated, orphaned, lost or in clear', async () => {
    // The environment is not read: CHAOS_* of the shell cannot change the test.
    const options = parseChaosOptions(
      [
        ...['--runs', '16', '--seed', '8', '--time-scale', '0.05', '--kill-every', '2-4'],
        // More permanent faults than the default, so that 16 runs see rollbacks and failed rollbacks.
        ...['--permanent-create', '0.04', '--permanent-delete', '0.05'],
        // A bound against hanging, not a timing: a run open after it is reported stuck.
        ...['--bound', '80', '--quiet', '25', '--out', out],
        // A killed worker's job is taken back within about 3 s (crash-recovery.test.ts's settings).
        ...['--env', 'LOCK_DURATION_MS=2000', '--env', 'STALLED_INTERVAL_MS=1000'],
        // The reconciler looks every second at runs quiet for 3 s, and bounds a run's time well inside the test's.
        ...[
          '--env',
          'RECONCILE_INTERVAL_MS=1000',
          '--env',
          'RECONCILE_QUIET_MS=3000',
          '--env',
          'RUN_DEADLINE_MS=60000',
        ],
      ],
      {},
    );
    if (options === 'help') throw new Error('unreachable');
    const lines: string[] = [];
    const done = cleanup();
    let result: ChaosResult | undefined;
    try {
      result = await runChaos(options, (line) => lines.push(line), done);
    } finally {
      await done.run();
    }
    const story = [
      chaosTable(result),
      ...result.stuck.map((s) => `stuck ${s.runId} ${s.state}: ${s.steps}; ${s.history}\n${JSON.stringify(s.story)}`),
      ...lines,
    ].join('\n');

    expect(violationLines(result, 50), story).toEqual([]);
    expect(result.kills, 'workers were killed').toBeGreaterThan(0);
    expect(result.redisRestarts, 'Redis was restarted').toBe(1);
    expect(result.faults.total, 'faults were injected').toBeGreaterThan(0);
  }, 180_000);
});
