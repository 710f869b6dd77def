import { randomBytes, randomUUID } from 'node:crypto';
import type { Collection } from '../framework/world-collection.js';
import type { SandboxWorld } from '../framework/sandbox-world.js';

export interface N8nNode {
  name: string;
  type: string;
  webhookId?: string;
  disabled?: boolean;
  parameters?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface Workflow {
  id: string;
  name: string;
  nodes: N8nNode[];
  connections: Record<string, unknown>;
  settings: Record<string, unknown>;
  staticData: unknown;
  pinData: unknown;
  nodeGroups: unknown[];
  createdAt: number;
  updatedAt: number;
  versionId: string;
  active: boolean;
}

const ALPHANUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** n8n's 16-character workflow ids, e.g. `2tUt1wbLX592XDdX`. */
export const newWorkflowId = (): string => [...randomBytes(16)].map((b) => ALPHANUM[b % ALPHANUM.length]).join('');

/** The one personal project every sandbox workflow lives in. */
export const SANDBOX_PROJECT = {
  id: 'VmwOO9HeTEj20kxM',
  name: 'Sandbox Owner <owner@sandbox.local>',
  type: 'personal' as const,
};

export type NewWorkflow = Pick<Workflow, 'name' | 'nodes' | 'connections' | 'settings'> &
  Partial<Pick<Workflow, 'staticData' | 'pinData' | 'nodeGroups'>>;

/** n8n's workflows in creation order (names are not unique), kept in the sandbox's world. */
export class N8nStore {
  private readonly workflows: Collection<Workflow>;

  constructor(
    world: SandboxWorld,
    private readonly now: () => number,
  ) {
    this.workflows = world.collection<Workflow>('n8n', 'workflows');
  }

  create(init: NewWorkflow): Workflow {
    const t = this.now();
    const wf: Workflow = {
      staticData: null,
      pinData: null,
      nodeGroups: [],
      ...init,
      id: newWorkflowId(),
      createdAt: t,
      updatedAt: t,
      versionId: randomUUID(),
      active: false,
    };
    this.workflows.set(wf.id, wf);
    return wf;
  }

  get(id: string): Workflow | undefined {
    return this.workflows.get(id);
  }

  remove(id: string): void {
    this.workflows.delete(id);
  }

  /** The workflow was changed in place (activated, deactivated). */
  saved(wf: Workflow): void {
    this.workflows.touch(wf.id);
  }

  all(): Workflow[] {
    return this.workflows.values();
  }

  reset(): void {
    this.workflows.clear();
  }
}
