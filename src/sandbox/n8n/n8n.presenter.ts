import { SANDBOX_PROJECT, type Workflow } from './n8n.state.js';
import { isTriggerNode } from './n8n.webhooks.js';

export interface ViewOptions {
  /** `shared` is in the workflow DTO, not in 2.x's publish DTO. */
  shared: boolean;
  /** false when the caller asked `excludePinnedData=true`. */
  pinData?: boolean;
  /** n8n 1.x answers its closed `workflow` schema (additionalProperties: false); 2.x by default. */
  major?: 1 | 2;
}

/** The fields of n8n 1.x's `workflow` and `activeVersion` schemas, the only ones it answers. */
const V1_WORKFLOW = [
  'id',
  'name',
  'active',
  'createdAt',
  'updatedAt',
  'nodes',
  'connections',
  'settings',
  'staticData',
  'tags',
  'shared',
  'activeVersion',
];
const V1_ACTIVE_VERSION = ['versionId', 'workflowId', 'nodes', 'connections', 'authors', 'createdAt', 'updatedAt'];
const pick = (o: Record<string, unknown>, keys: string[]) =>
  Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));

const iso = (ms: number): string => new Date(ms).toISOString();

/** A workflow as n8n's public API answers it (2.x `workflowPublicDto` / `workflowPublishPublicDto`, 1.x `workflow`). */
export function workflowView(wf: Workflow, options: ViewOptions): Record<string, unknown> {
  const view = v2View(wf, options);
  if (options.major !== 1) return view;
  const active = view.activeVersion as Record<string, unknown> | null;
  return { ...pick(view, V1_WORKFLOW), activeVersion: active && pick(active, V1_ACTIVE_VERSION) };
}

function v2View(wf: Workflow, options: ViewOptions): Record<string, unknown> {
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
              project: {
                ...SANDBOX_PROJECT,
                icon: null,
                description: null,
                customTelemetryTags: [],
                creatorId: null,
                createdAt,
                updatedAt,
              },
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
