import { SANDBOX_PROJECT, type Workflow } from './n8n.state.js';
import { isTriggerNode } from './n8n.webhooks.js';

export interface ViewOptions {
  /** `shared` is in the workflow DTO, not in 2.x's publish DTO. */
  shared: boolean;
  /** false when the caller asked `excludePinnedData=true`. */
  pinData?: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** A workflow as n8n's public API answers it (`workflowPublicDto` / `workflowPublishPublicDto`). */
export function workflowView(wf: Workflow, options: ViewOptions): Record<string, unknown> {
  const createdAt = iso(wf.createdAt);
  const updatedAt = iso(wf.updatedAt);
  return {
    id: wf.id,
    name: wf.name,
    description: null,
    active: wf.active,
    activeVersionId: wf.active ? wf.versionId : null,
    createdAt,
    updatedAt,
    isArchived: false,
    versionId: wf.versionId,
    versionCounter: 1,
    sourceWorkflowId: null,
    triggerCount: wf.active ? wf.nodes.filter(isTriggerNode).length : 0,
    nodes: wf.nodes,
    connections: wf.connections,
    nodeGroups: wf.nodeGroups,
    settings: wf.settings,
    staticData: wf.staticData,
    ...(options.pinData === false ? {} : { pinData: wf.pinData }),
    meta: null,
    tags: [],
    ...(options.shared
      ? {
          shared: [
            {
              role: 'workflow:owner',
              workflowId: wf.id,
              projectId: SANDBOX_PROJECT.id,
              project: { ...SANDBOX_PROJECT, icon: null, description: null, createdAt, updatedAt },
              createdAt,
              updatedAt,
            },
          ],
        }
      : {}),
    activeVersion: wf.active
      ? {
          versionId: wf.versionId,
          workflowId: wf.id,
          nodes: wf.nodes,
          connections: wf.connections,
          nodeGroups: wf.nodeGroups,
          authors: 'Sandbox Owner',
          name: null,
          description: null,
          autosaved: false,
          createdAt: updatedAt,
          updatedAt,
          workflowPublishHistory: [],
        }
      : null,
    parentFolder: null,
  };
}
