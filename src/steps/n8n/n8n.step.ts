import { deleteOrGone } from '../delete-or-gone.js';
import { AppError, isAppError } from '../../shared/errors.js';
import { n8nWorkflowFor } from '../templates/n8n-workflow.js';
import type { CompensationContext, StepContext, StepDefinition } from '../step.types.js';
import { waitFor } from '../wait.js';
import { webhookIdFor } from './webhook-id.js';

/**
 * `n8n`: the workflow `Client {id} - {clientName}` (names are not unique in n8n: the
 * oldest is kept, extras deleted), activated, and its production webhook checked to
 * answer (an API activation can report success before the webhook is registered).
 * Undone by deactivating and deleting every workflow of that name.
 */
const WEBHOOK_POLLS = 20;

export const n8nStep: StepDefinition = {
  name: 'n8n',
  execute: createWorkflow,
  compensate: deleteWorkflow,
};

async function createWorkflow(ctx: StepContext) {
  const { n8n } = ctx.clients;
  const name = ctx.names.n8nWorkflow;
  const webhookPath = ctx.names.webhookPath;

  const [found, ...extras] = await n8n.findByExactName(name, ctx.signal);
  for (const extra of extras) await n8n.deleteWorkflow(extra.id, ctx.signal);
  let workflow = found;
  if (!workflow) {
    const definition = n8nWorkflowFor({
      name,
      webhookPath,
      webhookId: webhookIdFor(ctx.names.clientKey),
      clientId: ctx.names.clientKey,
    });
    await ctx.fence();
    workflow = await n8n.createWorkflow(definition, ctx.signal);
  }
  const workflowId = workflow.id;
  await ctx.record({ resources: { workflowId, name, webhookPath } });
  const changed = !found || !found.active;
  await n8n.activate(workflowId, ctx.signal);

  let polls = 0;
  let last = 'no answer';
  await waitFor(
    ctx,
    {
      what: `n8n webhook ${webhookPath}`,
      timeoutMs: WEBHOOK_POLLS * ctx.timings.pollIntervalMs,
      intervalMs: ctx.timings.pollIntervalMs,
      onTimeout: () =>
        new AppError(
          'RESOURCE_FAILED',
          `n8n webhook ${webhookPath} of workflow ${workflowId} does not answer after activation (${last})`,
          { retryable: true },
        ),
    },
    async () => {
      // Half-way, switch it off and on again: that registers a webhook a first activation missed.
      if (++polls === WEBHOOK_POLLS / 2) {
        await n8n.deactivate(workflowId, ctx.signal);
        await n8n.activate(workflowId, ctx.signal);
      }
      try {
        const { status } = await n8n.callWebhook(
          webhookPath,
          { check: 'client-provisioner', clientId: ctx.names.clientKey },
          ctx.signal,
        );
        last = `HTTP ${status}`;
        return status >= 200 && status < 300 ? status : undefined;
      } catch (e) {
        if (!isAppError(e) || !e.retryable) throw e;
        last = e.code;
        return undefined;
      }
    },
  );

  return {
    outcome: changed ? ('created' as const) : ('skipped' as const),
    resources: {
      workflowId,
      name,
      active: true,
      webhookPath,
      webhookUrl: `${ctx.providers.n8n.baseUrl}/webhook/${webhookPath}`,
    },
  };
}

async function deleteWorkflow(ctx: CompensationContext) {
  const { n8n } = ctx.clients;
  const ids = new Set<string>(typeof ctx.recorded.workflowId === 'string' ? [ctx.recorded.workflowId] : []);
  for (const w of await n8n.findByExactName(ctx.names.n8nWorkflow, ctx.signal)) ids.add(w.id);
  let deleted = false;
  for (const id of ids) {
    try {
      await n8n.deactivate(id, ctx.signal);
    } catch (e) {
      if (!isAppError(e) || e.code !== 'PROVIDER_NOT_FOUND') throw e;
    }
    const removed = await deleteOrGone(
      () => n8n.deleteWorkflow(id, ctx.signal),
      async () => (await n8n.getWorkflow(id, ctx.signal)) !== null,
    );
    if (removed) deleted = true;
  }
  return deleted ? ('deleted' as const) : ('not_found' as const);
}
