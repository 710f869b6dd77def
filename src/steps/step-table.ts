import { AppError } from '../shared/errors.js';
import { backupStep } from './backup/backup.step.js';
import { databaseStep } from './database/database.step.js';
import { githubStep } from './github/github.step.js';
import { n8nStep } from './n8n/n8n.step.js';
import { STEP_GRAPH, type StepName } from './step-graph.js';
import type { StepDefinition } from './step.types.js';
import { supabaseStep } from './supabase/supabase.step.js';
import { vercelStep } from './vercel/vercel.step.js';

const IMPLEMENTATIONS: Record<StepName, StepDefinition> = {
  supabase: supabaseStep,
  database: databaseStep,
  github: githubStep,
  vercel: vercelStep,
  n8n: n8nStep,
  backup: backupStep,
};

/**
 * The implementations, attached by name to the step graph and in its order. The graph
 * is the only place a step's dependencies are written; an implementation whose name or
 * undo disagrees with its node fails at load.
 */
export const STEPS: readonly StepDefinition[] = STEP_GRAPH.map((node) => {
  const impl = IMPLEMENTATIONS[node.name];
  if (impl.name !== node.name || (node.undo === 'compensate') !== (impl.compensate !== undefined)) {
    throw new Error(`step ${node.name}: implementation disagrees with the step graph`);
  }
  return impl;
});

/** The step of that name; an unknown name is a programming error. */
export function stepByName(name: string): StepDefinition {
  const step = STEPS.find((s) => s.name === name);
  if (!step) throw new AppError('INTERNAL', `unknown step ${name}`);
  return step;
}
