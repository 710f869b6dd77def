import { describe, expect, it } from 'vitest';
import { STEP_GRAPH } from '../../src/steps/step-graph.js';
import { STEPS, stepByName } from '../../src/steps/step-table.js';

describe('step table', () => {
  it('When compared with the step graph, then it lists the same steps, in the same order, with the same undo', () => {
    expect(STEPS.map((s) => s.name)).toEqual(STEP_GRAPH.map((g) => g.name));
    for (const node of STEP_GRAPH) {
      expect(typeof stepByName(node.name).compensate === 'function', node.name).toBe(node.undo === 'compensate');
    }
  });

  it('When a name is unknown, then stepByName throws', () => {
    expect(() => stepByName('nope')).toThrow(/unknown step nope/);
  });
});
