/**
 * What differs between the n8n 1.x and 2.x public API (from ../shared/contracts): the create body's
 * writable and read-only fields, the settings and node fields it accepts, the workflow id's name in
 * the path, and whether publish/unpublish exist.
 */
export interface N8nVersion {
  major: 1 | 2;
  /** Express parameter name of the workflow id (`{id}` in 1.x, `{workflowId}` in 2.x). */
  idParam: 'id' | 'workflowId';
  writable: ReadonlySet<string>;
  readOnly: ReadonlySet<string>;
  settings: ReadonlySet<string>;
  nodeFields: ReadonlySet<string>;
  publish: boolean;
}

const NODE_FIELDS_1 = [
  'id',
  'name',
  'webhookId',
  'disabled',
  'notesInFlow',
  'notes',
  'type',
  'typeVersion',
  'executeOnce',
  'alwaysOutputData',
  'retryOnFail',
  'maxTries',
  'waitBetweenTries',
  'continueOnFail',
  'onError',
  'position',
  'parameters',
  'credentials',
  'createdAt',
  'updatedAt',
];

const SETTINGS_1 = [
  'saveExecutionProgress',
  'saveManualExecutions',
  'saveDataErrorExecution',
  'saveDataSuccessExecution',
  'executionTimeout',
  'errorWorkflow',
  'timezone',
  'executionOrder',
  'callerPolicy',
  'callerIds',
  'timeSavedPerExecution',
  'availableInMCP',
];

export const N8N_V1: N8nVersion = {
  major: 1,
  idParam: 'id',
  writable: new Set(['name', 'nodes', 'connections', 'settings', 'staticData', 'shared', 'activeVersion']),
  readOnly: new Set(['id', 'active', 'createdAt', 'updatedAt', 'tags']),
  settings: new Set(SETTINGS_1),
  nodeFields: new Set(NODE_FIELDS_1),
  publish: false,
};

export const N8N_V2: N8nVersion = {
  major: 2,
  idParam: 'workflowId',
  writable: new Set([
    'name',
    'nodes',
    'connections',
    'settings',
    'nodeGroups',
    'staticData',
    'pinData',
    'projectId',
    'parentFolderId',
    'shared',
  ]),
  readOnly: new Set([
    'id',
    'active',
    'createdAt',
    'updatedAt',
    'isArchived',
    'versionId',
    'triggerCount',
    'meta',
    'tags',
    'activeVersion',
  ]),
  settings: new Set([
    ...SETTINGS_1,
    'binaryMode',
    'timeSavedMode',
    'redactionPolicy',
    'customTelemetryTags',
    'credentialResolverId',
  ]),
  nodeFields: new Set([...NODE_FIELDS_1, 'customTelemetryTags']),
  publish: true,
};
