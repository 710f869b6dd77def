import { deleteOrGone } from '../delete-or-gone.js';
import type { N8nWorkflow } from '../../providers/n8n.client.js';
import { AppError, isAppError } from '../../shared/errors.js';
import type { CompensationContext, StepContext, StepDefinition } from '../step.types.js';
import { fromBase64, toBase64 } from '../wait.js';

/**
 * `backup`: the n8n workflow's JSON at `{id}/n8n-workflow.json` in the Gitea backup repo,
 * created, or updated with the current sha when it differs. Undone by deleting the file.
 */
/** Fields n8n changes on its own (timestamps, versions, counters): left out so a re-run is a no-op. */
const VOLATILE = [
  'updatedAt',
  'versionId',
  'versionCounter',
  'activeVersionId',
  'activeVersion',
  'triggerCount',
  'shared',
];

export const backupStep: StepDefinition = {
  name: 'backup',
  execute: writeBackup,
  compensate: deleteBackup,
};

async function writeBackup(ctx: StepContext) {
  const { n8n, gitea } = ctx.clients;
  const { backupOwner: owner, backupRepo: repo } = ctx.providers.gitea;
  const path = ctx.names.backupPath;
  const workflowId = String((await ctx.input('n8n')).resources.workflowId);

  const workflow = await n8n.getWorkflow(workflowId, ctx.signal);
  if (!workflow)
    throw new AppError('DEPENDENCY_FAILED', `n8n workflow ${workflowId} is gone; the n8n step must run again`);
  const content = `${JSON.stringify(stable(workflow), null, 2)}\n`;
  const file = { owner, repo, path, content: toBase64(content) };

  let existing = await gitea.getFile(owner, repo, path, ctx.signal);
  let sha = existing?.sha;
  if (!existing) {
    // Recorded before the create, like every step's resource, so rollback knows it may exist.
    await ctx.record({ resources: { repo: `${owner}/${repo}`, path } });
    try {
      await ctx.fence();
      sha = (
        await gitea.createFile(
          { ...file, message: `Back up n8n workflow of client ${ctx.names.clientKey}` },
          ctx.signal,
        )
      ).content?.sha;
    } catch (e) {
      // 422: created meanwhile (an earlier answer was lost); fall through to compare and update.
      if (!isAppError(e) || e.code !== 'PROVIDER_REJECTED') throw e;
      existing = await gitea.getFile(owner, repo, path, ctx.signal);
      if (!existing) throw e;
    }
  }
  let written = !existing;
  if (existing && fromBase64(existing.content ?? '') !== content) {
    const updated = await gitea.updateFile(
      { ...file, sha: existing.sha, message: `Update n8n workflow backup of client ${ctx.names.clientKey}` },
      ctx.signal,
    );
    sha = updated.content?.sha ?? sha;
    written = true;
  }
  sha ??= (await gitea.getFile(owner, repo, path, ctx.signal))?.sha;
  return {
    outcome: written ? ('created' as const) : ('skipped' as const),
    resources: { repo: `${owner}/${repo}`, path, sha: sha ?? null },
  };
}

async function deleteBackup(ctx: CompensationContext) {
  const { gitea } = ctx.clients;
  const { backupOwner: owner, backupRepo: repo } = ctx.providers.gitea;
  const path = ctx.names.backupPath;
  const existing = await gitea.getFile(owner, repo, path, ctx.signal);
  if (!existing) return 'not_found' as const;
  const deleted = await deleteOrGone(
    () =>
      gitea.deleteFile(
        {
          owner,
          repo,
          path,
          sha: existing.sha,
          message: `Remove n8n workflow backup of client ${ctx.names.clientKey}`,
        },
        ctx.signal,
      ),
    async () => (await gitea.getFile(owner, repo, path, ctx.signal)) !== null,
  );
  return deleted ? ('deleted' as const) : ('not_found' as const);
}

/** The workflow without the fields n8n changes by itself. */
function stable(workflow: N8nWorkflow): Record<string, unknown> {
  return Object.fromEntries(Object.entries(workflow).filter(([k]) => !VOLATILE.includes(k)));
}
