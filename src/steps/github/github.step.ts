import { deleteOrGone } from '../delete-or-gone.js';
import type { FullRepository } from '../../providers/github.client.js';
import { isAppError } from '../../shared/errors.js';
import { clientConfigFor } from '../templates/client-modules.js';
import type { CompensationContext, Resources, StepContext, StepDefinition } from '../step.types.js';
import { fromBase64, toBase64, waitFor } from '../wait.js';

/**
 * `github`: the private repo `client-{id}-app` generated from the template, waited for
 * (a generated repo answers 404, and 409 on its contents, for a while), then its
 * `client-config.json` committed. Undone by deleting the repo.
 */
export const CONFIG_PATH = 'client-config.json';
/** How many poll intervals a new repository may take to answer. */
const READY_POLLS = 60;

export const githubStep: StepDefinition = {
  name: 'github',
  execute: createRepo,
  compensate: deleteRepo,
};

async function createRepo(ctx: StepContext) {
  const { github } = ctx.clients;
  const { org, templateOwner, templateRepo } = ctx.providers.github;
  const name = ctx.names.githubRepo;
  const ready = { timeoutMs: READY_POLLS * ctx.timings.pollIntervalMs, intervalMs: ctx.timings.pollIntervalMs };

  let repo = await github.getRepo(org, name, ctx.signal);
  const created = !repo;
  if (!repo) {
    try {
      await ctx.fence();
      repo = await github.createFromTemplate(
        {
          templateOwner,
          templateRepo,
          owner: org,
          name,
          private: true,
          description: `App of client ${ctx.request.clientName}`,
        },
        ctx.signal,
      );
    } catch (e) {
      // 422 "name already exists": an earlier create whose answer was lost, not visible yet.
      if (!isAppError(e) || e.code !== 'PROVIDER_REJECTED') throw e;
      repo = await waitFor(
        ctx,
        { what: `GitHub repo ${org}/${name}`, ...ready, onTimeout: () => e },
        async () => (await github.getRepo(org, name, ctx.signal)) ?? undefined,
      );
    }
  }
  await ctx.record({ resources: repoResources(repo) });

  const content = `${JSON.stringify(clientConfigFor(ctx.request), null, 2)}\n`;
  const committed = await waitFor(
    ctx,
    { what: `GitHub repo ${org}/${name} to accept ${CONFIG_PATH}`, ...ready },
    async () => {
      try {
        return await commitConfig(ctx, org, name, content);
      } catch (e) {
        // Not ready yet: the repo 404s, or its contents answer 409 "Git Repository is empty".
        if (isAppError(e) && (e.code === 'PROVIDER_NOT_FOUND' || e.code === 'PROVIDER_CONFLICT')) return undefined;
        throw e;
      }
    },
  );
  return {
    outcome: created || committed === 'written' ? ('created' as const) : ('skipped' as const),
    resources: repoResources(repo),
  };
}

/**
 * Creates the file, updates it with the current sha when it differs, leaves it when equal. A repo
 * not visible yet answers the write 404 (or 409 while empty), which the caller waits out: no read
 * of the repo first, the run already has it.
 */
async function commitConfig(
  ctx: StepContext,
  owner: string,
  repo: string,
  content: string,
): Promise<'written' | 'unchanged'> {
  const { github } = ctx.clients;
  const existing = await github.getFile(owner, repo, CONFIG_PATH, ctx.signal);
  if (existing && fromBase64(existing.content) === content) return 'unchanged';
  await github.putFile(
    {
      owner,
      repo,
      path: CONFIG_PATH,
      content: toBase64(content),
      message: existing ? 'Update client-config.json' : 'Add client-config.json',
      ...(existing ? { sha: existing.sha } : {}),
    },
    ctx.signal,
  );
  return 'written';
}

async function deleteRepo(ctx: CompensationContext) {
  const owner = typeof ctx.recorded.owner === 'string' ? ctx.recorded.owner : ctx.providers.github.org;
  const { github } = ctx.clients;
  const deleted = await deleteOrGone(
    () => github.deleteRepo(owner, ctx.names.githubRepo, ctx.signal),
    async () => (await github.getRepo(owner, ctx.names.githubRepo, ctx.signal)) !== null,
  );
  return deleted ? ('deleted' as const) : ('not_found' as const);
}

function repoResources(repo: FullRepository): Resources {
  const [owner = '', name = repo.name] = repo.full_name.split('/');
  return { owner, name, fullName: repo.full_name, htmlUrl: repo.html_url, id: repo.id };
}
