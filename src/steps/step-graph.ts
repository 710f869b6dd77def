/**
 * The steps of a run as data: names, what each needs, and how each is undone.
 * The BullMQ flow tree and the rollback order are both derived from this array;
 * the implementations are attached by name in step-table.ts.
 */
export const STEP_GRAPH = [
  { name: 'supabase', needs: [], undo: 'compensate' },
  { name: 'database', needs: ['supabase'], undo: { with: 'supabase' } },
  { name: 'github', needs: [], undo: 'compensate' },
  { name: 'vercel', needs: ['database', 'github'], undo: 'compensate' },
  { name: 'n8n', needs: [], undo: 'compensate' },
  { name: 'backup', needs: ['n8n'], undo: 'compensate' },
] as const satisfies readonly StepNode[];

export type StepName = (typeof STEP_GRAPH)[number]['name'];

export interface StepNode {
  name: string;
  needs: readonly string[];
  /** `compensate`: the step has its own undo; `{with}`: it is undone with another step's resource. */
  undo: 'compensate' | { with: string };
}

export const STEP_NAMES: readonly StepName[] = STEP_GRAPH.map((s) => s.name);

export function stepNode(name: StepName): (typeof STEP_GRAPH)[number] {
  const node = STEP_GRAPH.find((s) => s.name === name);
  if (!node) throw new Error(`unknown step ${name}`);
  return node;
}

/** Every step `name` depends on, directly or not. */
export function ancestorsOf(name: StepName): Set<StepName> {
  const seen = new Set<StepName>();
  const visit = (n: StepName) => {
    for (const dep of stepNode(n).needs as readonly StepName[]) {
      if (!seen.has(dep)) {
        seen.add(dep);
        visit(dep);
      }
    }
  };
  visit(name);
  return seen;
}

/** The steps no other step needs: the children of the flow's root. */
export function sinkSteps(): StepName[] {
  const needed = new Set(STEP_GRAPH.flatMap((s) => s.needs as readonly string[]));
  return STEP_NAMES.filter((n) => !needed.has(n));
}

/** Topological order (as listed, checked), reversed: dependents are undone before what they depend on. */
export function rollbackOrder(): StepName[] {
  return [...STEP_NAMES].reverse();
}

/**
 * A BullMQ flow is a tree: a step may be needed by one other step at most.
 * Checked once at start so a table edit that breaks this fails loudly.
 */
export function assertGraphIsForest(): void {
  const seen = new Map<string, string>();
  STEP_GRAPH.forEach((step, i) => {
    for (const dep of step.needs as readonly string[]) {
      const j = STEP_NAMES.indexOf(dep as StepName);
      if (j < 0 || j >= i) throw new Error(`step ${step.name} needs ${dep}, which is not listed before it`);
      const other = seen.get(dep);
      if (other) throw new Error(`step ${dep} is needed by both ${other} and ${step.name}; a flow is a tree`);
      seen.set(dep, step.name);
    }
  });
}
