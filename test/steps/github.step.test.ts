import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GithubClient } from '../../src/providers/github.client.js';
import { GITHUB_TOKEN_NO_DELETE } from '../../src/sandbox/github/github.emulator.js';
import { resourceNames } from '../../src/shared/names.js';
import { clientConfigFor } from '../../src/steps/templates/client-modules.js';
import { CONFIG_PATH, githubStep } from '../../src/steps/github/github.step.js';
import type { ProvisionRequest } from '../../src/shared/provision-request.js';
import { startProviderSandbox, type ProviderSandbox } from '../support/provider-sandbox.js';
import { buildRequest } from '../support/factories.js';
import { failure } from '../support/expect-helpers.js';
import { buildCompensationContext, buildStepContext, emptyState, type RecordedState } from '../support/step-context.js';

let ps: ProviderSandbox;
beforeAll(async () => {
  // A generated repo stays unreadable for 1500 ms × 0.2 = 300 ms: long enough to be seen waiting.
  ps = await startProviderSandbox({ timeScale: 0.2 });
});
afterAll(async () => ps?.close());
afterEach(async () => ps.clearFaults());

const execute = (request: ProvisionRequest, state: RecordedState = emptyState(), clients = ps.clients) =>
  githubStep.execute(buildStepContext({ step: 'github', config: ps.config, clients, request, state }));
const compensate = (request: ProvisionRequest, recorded = {}, clients = ps.clients) =>
  githubStep.compensate!(buildCompensationContext({ step: 'github', config: ps.config, clients, request, recorded }));
const reposNamed = async (name: string) =>
  ((await ps.state()).github.repos as { name: string; full_name: string; private: boolean }[]).filter(
    (r) => r.name === name,
  );
const callsOf = async (operationId: string) => (await ps.calls()).filter((c) => c.operationId === operationId);
const configOf = async (request: ProvisionRequest) => {
  const file = await ps.clients.github.getFile(
    ps.config.providers.github.org,
    resourceNames(request.clientId, request.clientName).githubRepo,
    CONFIG_PATH,
  );
  return file && JSON.parse(Buffer.from(file.content, 'base64').toString('utf8'));
};

describe('github step', () => {
  it('When run, then it generates the private repo from the template, waits until it answers and commits client-config.json', async () => {
    const request = buildRequest();
    const state = emptyState();
    const result = await execute(request, state);

    const name = `client-${request.clientId.toLowerCase()}-app`;
    const { org } = ps.config.providers.github;
    expect(result.outcome).toBe('created');
    expect(result.resources).toEqual({
      owner: org,
      name,
      fullName: `${org}/${name}`,
      htmlUrl: expect.any(String),
      id: expect.any(Number),
    });
    expect(state.resources).toMatchObject({ fullName: `${org}/${name}` });
    expect(await reposNamed(name)).toEqual([expect.objectContaining({ full_name: `${org}/${name}`, private: true })]);
    expect(await configOf(request)).toEqual(clientConfigFor(request));
    // The not-yet-ready window was met and waited out, not failed on.
    const waited = (await ps.calls()).filter((c) => c.path.includes(name) && (c.status === 404 || c.status === 409));
    expect(waited.length).toBeGreaterThan(0);
  });

  it('When run again after it succeeded, then it is skipped and neither generates nor commits', async () => {
    const request = buildRequest();
    await execute(request);
    const generates = (await callsOf('repos/create-using-template')).length;
    const puts = (await callsOf('repos/create-or-update-file-contents')).length;

    const second = await execute(request);

    expect(second.outcome).toBe('skipped');
    expect((await callsOf('repos/create-using-template')).length).toBe(generates);
    expect((await callsOf('repos/create-or-update-file-contents')).length).toBe(puts);
  });

  it('When the tier changed, then the config file is updated in place with its current sha', async () => {
    const request = buildRequest({ tier: 'starter' });
    await execute(request);
    const changed = { ...request, tier: 'enterprise' as const };

    const second = await execute(changed);

    expect(second.outcome).toBe('created');
    expect(await configOf(request)).toEqual(clientConfigFor(changed));
  });

  it('When the generate answer is lost, then the retry finds the repo by name and there is exactly one', async () => {
    const request = buildRequest();
    const state = emptyState();
    await ps.addFaults([
      { provider: 'github', operationId: 'repos/create-using-template', fault: 'lost-response', times: 1 },
    ]);

    expect(await failure(execute(request, state))).toMatchObject({ retryable: true });
    await execute(request, state);

    const name = resourceNames(request.clientId, request.clientName).githubRepo;
    expect(await reposNamed(name)).toHaveLength(1);
    expect(await configOf(request)).toEqual(clientConfigFor(request));
  });

  it('When the token is wrong, then it fails without retry naming GITHUB_TOKEN', async () => {
    const github = new GithubClient({ ...ps.config.providers.github, token: 'ghp_wrong' }, 5000);
    const e = await failure(execute(buildRequest(), emptyState(), { ...ps.clients, github }));
    expect(e).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', retryable: false });
    expect(e.message).toContain('GITHUB_TOKEN');
  });

  it('When compensated, then the repo is deleted, and a second compensation finds nothing', async () => {
    const request = buildRequest();
    const result = await execute(request);
    expect(await compensate(request, result.resources)).toBe('deleted');
    expect(await reposNamed(String(result.resources.name))).toHaveLength(0);
    expect(await compensate(request, result.resources)).toBe('not_found');
  });

  it('When the token may not delete repos, then compensation fails without retry naming the delete_repo scope', async () => {
    const request = buildRequest();
    await execute(request);
    const github = new GithubClient({ ...ps.config.providers.github, token: GITHUB_TOKEN_NO_DELETE }, 5000);
    const e = await failure(compensate(request, {}, { ...ps.clients, github }));
    expect(e).toMatchObject({ code: 'PROVIDER_FORBIDDEN', retryable: false });
    expect(e.message).toContain('delete_repo');
    expect(await compensate(request)).toBe('deleted');
  });
});
