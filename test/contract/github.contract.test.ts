import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GithubClient } from '../../src/providers/github.client.js';
import { GITHUB_TOKEN_NO_DELETE } from '../../src/sandbox/github/github.emulator.js';
import { loadContract, type Contract, type Exception } from './contract-validator.js';
import {
  eventually,
  failure,
  operationsIn,
  startRecordingSandbox,
  verify,
  type RecordingSandbox,
} from './recording-sandbox.js';

const OPERATIONS = [
  'repos/create-in-org',
  'repos/get',
  'repos/delete',
  'repos/get-content',
  'repos/create-or-update-file-contents',
  'repos/create-using-template',
];
/** Where the real REST API answers what github.openapi.json does not describe. */
const EXCEPTIONS: Exception[] = [
  ...OPERATIONS.map((op) => ({
    key: `${op} 401 undocumented-status`,
    because:
      'GitHub answers 401 {message: "Bad credentials"} (basic-error) to a wrong token; the description lists no 401 and no security at all (README §2 fact 1)',
  })),
  {
    key: 'repos/create-using-template 404 undocumented-status',
    because: 'GitHub answers 404 basic-error for an unknown template; generate documents only 201',
  },
  {
    key: 'repos/create-using-template 422 undocumented-status',
    because: 'GitHub answers 422 to a body it refuses; generate documents only 201',
  },
  {
    key: 'repos/create-in-org 404 undocumented-status',
    because: 'GitHub answers 404 basic-error for an unknown organisation; create-in-org documents 201/403/422',
  },
  {
    key: 'repos/create-in-org 400 undocumented-status',
    because: 'GitHub answers 400 "Problems parsing JSON" to a body that is not JSON; not described',
  },
];

let rec: RecordingSandbox;
let contract: Contract;
let org: string;
let template: { templateOwner: string; templateRepo: string };
beforeAll(async () => {
  contract = await loadContract('github');
  rec = await startRecordingSandbox();
  const gh = rec.config.providers.github;
  org = gh.org;
  template = { templateOwner: gh.templateOwner, templateRepo: gh.templateRepo };
});
afterAll(async () => rec?.close());

const b64 = (text: string) => Buffer.from(text).toString('base64');
const fromTemplate = (name: string) => ({
  ...template,
  owner: org,
  name,
  private: true as const,
  description: 'contract test',
});

describe('GitHub REST against github.openapi.json', () => {
  it('When the client generates a repo, commits files and deletes it, then every request and answer matches the description', async () => {
    const gh = rec.clients.github;
    const name = 'contract-happy-app';
    const exchanges = await rec.during('github', async () => {
      await gh.createFromTemplate(fromTemplate(name));
      await eventually(async () => (await gh.getRepo(org, name)) ?? undefined, 'the generated repo');
      const readme = await gh.getFile(org, name, 'README.md');
      await gh.putFile({
        owner: org,
        repo: name,
        path: 'README.md',
        content: b64('# updated\n'),
        message: 'Update README',
        sha: readme!.sha,
      });
      await gh.putFile({
        owner: org,
        repo: name,
        path: 'config/client/client-config.json',
        content: b64('{}\n'),
        message: 'Add config',
      });
      await gh.getFile(org, name, 'config/client/client-config.json');
      await rec.call('github', 'POST', `/orgs/${org}/repos`, {
        body: { name: 'contract-plain-repo', private: true, auto_init: true },
      });
      await gh.deleteRepo(org, 'contract-plain-repo');
      await gh.deleteRepo(org, name);
    });

    const { seen, unexplained, used } = verify(contract, exchanges, EXCEPTIONS);
    expect(operationsIn(seen)).toEqual(contract.operationIds);
    // The description has no security and no headers: GitHub's docs ask for a token and an API version.
    const fromClient = exchanges.filter((x) => String(x.headers['user-agent']).startsWith('client-provisioner'));
    expect(fromClient.length).toBeGreaterThan(5);
    for (const x of fromClient) {
      expect(x.headers).toMatchObject({
        authorization: expect.stringMatching(/^(token|bearer) \S+$/i),
        'x-github-api-version': '2022-11-28',
      });
    }
    // A generated repo answers 404 until its copy is done: seen or not, depending on timing.
    expect(seen.filter((s) => s !== 'repos/get 404')).toEqual([
      'repos/create-in-org 201',
      'repos/create-or-update-file-contents 200',
      'repos/create-or-update-file-contents 201',
      'repos/create-using-template 201',
      'repos/delete 204',
      'repos/get 200',
      'repos/get-content 200',
    ]);
    expect(unexplained).toEqual([]);
    expect(used).toEqual([]);
  });

  it('When the token is wrong, then every operation answers 401 basic-error, which the description does not list', async () => {
    const wrong = new GithubClient({ ...rec.config.providers.github, token: 'ghp_not_the_right_token' }, 5000);
    const exchanges = await rec.during('github', async () => {
      expect(await failure(wrong.getRepo(org, 'any'))).toMatchObject({ code: 'PROVIDER_AUTH_FAILED' });
      await failure(wrong.createFromTemplate(fromTemplate('contract-denied')));
      await failure(wrong.deleteRepo(org, 'any'));
      await failure(wrong.getFile(org, 'any', 'README.md'));
      await failure(wrong.putFile({ owner: org, repo: 'any', path: 'a.txt', content: b64('a'), message: 'a' }));
      await rec.call('github', 'POST', `/orgs/${org}/repos`, {
        headers: { authorization: 'token ghp_not_the_right_token' },
        body: { name: 'x' },
      });
    });

    const { seen, unexplained, used } = verify(contract, exchanges, EXCEPTIONS);
    expect(seen).toEqual(OPERATIONS.map((op) => `${op} 401`).sort());
    expect(unexplained).toEqual([]);
    expect(used).toEqual(
      EXCEPTIONS.filter((e) => e.key.includes(' 401 '))
        .map((e) => e.key)
        .sort(),
    );
  });

  it('When the token lacks delete_repo, then delete answers the described 403 basic-error', async () => {
    const noDelete = new GithubClient({ ...rec.config.providers.github, token: GITHUB_TOKEN_NO_DELETE }, 5000);
    await rec.call('github', 'POST', `/orgs/${org}/repos`, { body: { name: 'contract-kept-repo' } });
    const exchanges = await rec.during('github', async () => {
      expect(await failure(noDelete.deleteRepo(org, 'contract-kept-repo'))).toMatchObject({
        code: 'PROVIDER_FORBIDDEN',
      });
    });
    await rec.clients.github.deleteRepo(org, 'contract-kept-repo');

    const { seen, unexplained } = verify(contract, exchanges, EXCEPTIONS);
    expect(seen).toEqual(['repos/delete 403']);
    expect(unexplained).toEqual([]);
  });

  it('When a repository, file, template, organisation or route does not exist, then the answer is 404 basic-error', async () => {
    const gh = rec.clients.github;
    const exchanges = await rec.during('github', async () => {
      expect(await gh.getRepo(org, 'no-such-repo')).toBeNull();
      expect(await gh.deleteRepo(org, 'no-such-repo')).toBe(false);
      expect(await gh.getFile(template.templateOwner, template.templateRepo, 'no/such/file.txt')).toBeNull();
      await failure(gh.putFile({ owner: org, repo: 'no-such-repo', path: 'a.txt', content: b64('a'), message: 'a' }));
      await failure(gh.createFromTemplate({ ...fromTemplate('contract-orphan'), templateRepo: 'no-such-template' }));
      await rec.call('github', 'POST', '/orgs/no-such-org/repos', { body: { name: 'x' } });
      await rec.call('github', 'GET', '/no/such/route');
    });

    const { seen, unexplained, used } = verify(contract, exchanges, EXCEPTIONS);
    expect(seen).toEqual([
      'repos/create-in-org 404',
      'repos/create-or-update-file-contents 404',
      'repos/create-using-template 404',
      'repos/delete 404',
      'repos/get 404',
      'repos/get-content 404',
      'unknown 404',
    ]);
    expect(unexplained).toEqual([]);
    expect(used).toEqual([
      'repos/create-in-org 404 undocumented-status',
      'repos/create-using-template 404 undocumented-status',
    ]);
  });

  it('When a body is invalid or not JSON, then the emulator answers 422 (400 for bad JSON) exactly where the description rejects the request', async () => {
    await rec.call('github', 'POST', `/orgs/${org}/repos`, { body: { name: 'contract-taken', auto_init: true } });
    const exchanges = await rec.during('github', async () => {
      await rec.call('github', 'POST', `/orgs/${org}/repos`, { body: { private: true } });
      await rec.call('github', 'POST', `/orgs/${org}/repos`, { body: { name: 'contract-taken' } });
      await rec.call('github', 'POST', `/orgs/${org}/repos`, { raw: '{"name": ' });
      await rec.call('github', 'PUT', `/repos/${org}/contract-taken/contents/a.txt`, { body: { content: b64('a') } });
      await rec.call('github', 'POST', `/repos/${template.templateOwner}/${template.templateRepo}/generate`, {
        body: { owner: org },
      });
    });
    await rec.clients.github.deleteRepo(org, 'contract-taken');

    const { seen, unexplained, used } = verify(contract, exchanges, EXCEPTIONS);
    expect(seen).toEqual([
      'repos/create-in-org 400',
      'repos/create-in-org 422',
      'repos/create-or-update-file-contents 422',
      'repos/create-using-template 422',
    ]);
    // The taken name is a valid request refused by state: only the three malformed bodies are the description's rejections too.
    expect(unexplained.map((p) => `${p.operationId} ${p.status} ${p.kind}`)).toEqual([
      'repos/create-in-org 422 request',
      'repos/create-in-org 400 request',
      'repos/create-or-update-file-contents 422 request',
      'repos/create-using-template 422 request',
    ]);
    expect(unexplained[2]?.detail).toContain("must have required property 'message'");
    expect(used).toEqual([
      'repos/create-in-org 400 undocumented-status',
      'repos/create-using-template 422 undocumented-status',
    ]);
  });
});
