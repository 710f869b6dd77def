/**
 * Every resource name is derived from the request alone, so that a retried step and
 * rollback find a resource again by name (SPEC 4.5). Two client ids that differ only
 * in case are the same client.
 */
export interface ResourceNames {
  clientKey: string;
  supabaseProject: string;
  githubRepo: string;
  vercelProject: string;
  n8nWorkflow: string;
  webhookPath: string;
  backupPath: string;
}

export const clientKey = (clientId: string): string => clientId.toLowerCase();

export function resourceNames(clientId: string, clientName: string): ResourceNames {
  const id = clientKey(clientId);
  return {
    clientKey: id,
    supabaseProject: `client-${id}`,
    githubRepo: `client-${id}-app`,
    vercelProject: `client-${id}-app`,
    n8nWorkflow: `Client ${id} - ${clientName}`,
    webhookPath: `client-${id}/content`,
    backupPath: `${id}/n8n-workflow.json`,
  };
}
