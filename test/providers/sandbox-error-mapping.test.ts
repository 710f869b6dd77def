import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GiteaClient } from '../../src/providers/gitea.client.js';
import { SupabaseClient } from '../../src/providers/supabase.client.js';
import { failure } from '../support/expect-helpers.js';
import { startProviderSandbox, type ProviderSandbox } from '../support/provider-sandbox.js';

/** How the clients turn what the sandbox plays (faults, refusals) into AppErrors. */
let ps: ProviderSandbox;
beforeAll(async () => {
  ps = await startProviderSandbox();
});
afterAll(async () => ps?.close());
// Faults (and what they left) are cleared after each test, so that a failing one cannot leak them.
afterEach(async () => ps.reset());

describe('provider error mapping (over the sandbox)', () => {
  it('When Supabase answers 500 or 502, then the error is PROVIDER_UNAVAILABLE and retryable', async () => {
    await ps.addFaults([
      { provider: 'supabase', operationId: 'v1-list-all-projects', fault: 'http500', times: 1 },
      { provider: 'supabase', operationId: 'v1-list-all-projects', fault: 'http502', times: 1 },
    ]);
    for (const status of [500, 502]) {
      const e = await failure(ps.clients.supabase.listProjects());
      expect(e).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true, details: { status } });
      expect(e.message).toContain('Supabase listProjects');
    }
  });

  it('When Supabase answers 429 with retry-after, then the error is PROVIDER_RATE_LIMITED with retryAfterMs', async () => {
    await ps.addFaults([{ provider: 'supabase', operationId: 'v1-list-all-projects', fault: 'http429', times: 1 }]);
    const e = await failure(ps.clients.supabase.listProjects());
    expect(e).toMatchObject({ code: 'PROVIDER_RATE_LIMITED', retryable: true, retryAfterMs: 1000 });
  });

  it('When Gitea answers 400 or 422, then the error is PROVIDER_REJECTED and final', async () => {
    await ps.addFaults([
      { provider: 'gitea', operationId: 'repoCreateFile', fault: 'http4xx', status: 422, times: 1 },
      { provider: 'gitea', operationId: 'repoCreateFile', fault: 'http4xx', status: 400, times: 1 },
    ]);
    const file = { owner: 'ops-hub', repo: 'client-backups', path: 'x/y.json', content: 'e30=', message: 'm' };
    for (const status of [422, 400]) {
      const e = await failure(ps.clients.gitea.createFile(file));
      expect(e).toMatchObject({ code: 'PROVIDER_REJECTED', retryable: false, details: { status } });
    }
  });

  it('When the token is wrong, then the error is PROVIDER_AUTH_FAILED, final, naming the credential but not the token', async () => {
    const token = 'sbp_definitely_wrong_token_1234';
    const supabase = new SupabaseClient({ ...ps.config.providers.supabase, token }, 5000);
    const e = await failure(supabase.listProjects());
    expect(e).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', retryable: false });
    expect(e.message).toContain('Supabase refused SUPABASE_MANAGEMENT_TOKEN (401)');
    expect(e.message).not.toContain(token);

    const gitea = new GiteaClient({ ...ps.config.providers.gitea, token: 'wrong-gitea-token' }, 5000);
    const g = await failure(gitea.getFile('ops-hub', 'client-backups', 'a.json'));
    expect(g).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', retryable: false });
    expect(g.message).toContain('GITEA_TOKEN');
  });

  it('When the connection is reset, then the error is PROVIDER_UNAVAILABLE and retryable', async () => {
    await ps.addFaults([{ provider: 'supabase', operationId: 'v1-list-all-projects', fault: 'reset', times: 1 }]);
    const e = await failure(ps.clients.supabase.listProjects());
    expect(e).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
  });

  it('When the provider does not answer in time, then the error is PROVIDER_TIMEOUT and retryable', async () => {
    await ps.addFaults([{ provider: 'supabase', operationId: 'v1-list-all-projects', fault: 'timeout', times: 1 }]);
    const supabase = new SupabaseClient(ps.config.providers.supabase, 200);
    const e = await failure(supabase.listProjects());
    expect(e).toMatchObject({ code: 'PROVIDER_TIMEOUT', retryable: true });
    expect(e.message).toContain('200 ms');
  });

  it('When a Supabase project is unknown, then get is null and delete is false', async () => {
    expect(await ps.clients.supabase.getProject('abcdefghijklmnopqrst')).toBeNull();
    expect(await ps.clients.supabase.deleteProject('abcdefghijklmnopqrst')).toBe(false);
  });

  it('When a Gitea file is written, read, updated and deleted, then each call answers what the next needs', async () => {
    const ref = { owner: 'ops-hub', repo: 'client-backups', path: 'c1/n8n-workflow.json' };
    expect(await ps.clients.gitea.getFile(ref.owner, ref.repo, ref.path)).toBeNull();
    const created = await ps.clients.gitea.createFile({
      ...ref,
      content: Buffer.from('{"a":1}').toString('base64'),
      message: 'add',
    });
    const read = await ps.clients.gitea.getFile(ref.owner, ref.repo, ref.path);
    expect(read?.sha).toBe(created.content?.sha);
    const updated = await ps.clients.gitea.updateFile({
      ...ref,
      sha: read!.sha,
      content: Buffer.from('{"a":2}').toString('base64'),
      message: 'up',
    });
    expect(updated.content?.sha).not.toBe(read!.sha);
    expect(await ps.clients.gitea.deleteFile({ ...ref, sha: updated.content!.sha, message: 'rm' })).toBe(true);
    expect(await ps.clients.gitea.getFile(ref.owner, ref.repo, ref.path)).toBeNull();
  });
});
