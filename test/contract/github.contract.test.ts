import { expect, vi } from 'vitest';
import { GithubClient } from '../../src/providers/github.client.js';
import { GITHUB_TOKEN_NO_DELETE } from '../../src/sandbox/github/github.emulator.js';
import { failure, WAIT } from '../support/expect-helpers.js';
import { describeContract } from './contract-suite.js';
import type { Exception } from './contract-validator.js';
import type { RecordingSandbox } from './recording-sandbox.js';

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

const b64 = (text: string) => Buffer.from(text).toString('base64');
const orgOf = (rec: RecordingSandbox) => rec.config.providers.github.org;
const templateOf = (rec: RecordingSandbox) => {
  const { templateOwner, templateRepo } = rec.config.providers.github;
  return { templateOwner, templateRepo };
};
const fromTemplate = (rec: RecordingSandbox, name: string) => ({
  ...templateOf(rec),
  owner: orgOf(rec),
  name,
  private: true as const,
  description: 'contract test',
});
/** A repository the case needs, made (and removed) outside the recording. */
const withRepo = (name: string, body: Record<string, unknown> = {}) => ({
  arrange: (rec: RecordingSandbox) =>
    rec.call('github', 'POST', `/orgs/${orgOf(rec)}/repos`, { body: { name, ...body } }),
  cleanup: (rec: RecordingSandbox) => rec.clients.github.deleteRepo(orgOf(rec), name),
});

describeContract({
  title: 'GitHub REST against github.openapi.json',
  provider: 'github',
  contract: 'github',
  exceptions: EXCEPTIONS,
  cases: [
    {
      when: 'When the client generates a repo, commits files and deletes it, then every request and answer matches the description',
      act: async (rec) => {
        const gh = rec.clients.github;
        const org = orgOf(rec);
        const name = 'contract-happy-app';
        await gh.createFromTemplate(fromTemplate(rec, name));
        await vi.waitFor(async () => expect(await gh.getRepo(org, name), 'the generated repo').not.toBeNull(), WAIT);
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
      },
      everyOperation: true,
      // A generated repo answers 404 until its copy is done: seen or not, depending on timing.
      maybeSeen: ['repos/get 404'],
      seen: [
        'repos/create-in-org 201',
        'repos/create-or-update-file-contents 200',
        'repos/create-or-update-file-contents 201',
        'repos/create-using-template 201',
        'repos/delete 204',
        'repos/get 200',
        'repos/get-content 200',
      ],
      also: (exchanges) => {
        // The description has no security and no headers: GitHub's docs ask for a token and an API version.
        const fromClient = exchanges.filter((x) => String(x.headers['user-agent']).startsWith('client-provisioner'));
        expect(fromClient.length).toBeGreaterThan(5);
        for (const x of fromClient) {
          expect(x.headers).toMatchObject({
            authorization: expect.stringMatching(/^(token|bearer) \S+$/i),
            'x-github-api-version': '2022-11-28',
          });
        }
      },
    },
    {
      when: 'When the token is wrong, then every operation answers 401 basic-error, which the description does not list',
      act: async (rec) => {
        const org = orgOf(rec);
        const wrong = new GithubClient({ ...rec.config.providers.github, token: 'ghp_not_the_right_token' }, 5000);
        expect(await failure(wrong.getRepo(org, 'any'))).toMatchObject({ code: 'PROVIDER_AUTH_FAILED' });
        await failure(wrong.createFromTemplate(fromTemplate(rec, 'contract-denied')));
        await failure(wrong.deleteRepo(org, 'any'));
        await failure(wrong.getFile(org, 'any', 'README.md'));
        await failure(wrong.putFile({ owner: org, repo: 'any', path: 'a.txt', content: b64('a'), message: 'a' }));
        await rec.call('github', 'POST', `/orgs/${org}/repos`, {
          headers: { authorization: 'token ghp_not_the_right_token' },
          body: { name: 'x' },
        });
      },
      seen: OPERATIONS.map((op) => `${op} 401`),
      used: EXCEPTIONS.filter((e) => e.key.includes(' 401 ')).map((e) => e.key),
    },
    {
      when: 'When the token lacks delete_repo, then delete answers the described 403 basic-error',
      ...withRepo('contract-kept-repo'),
      act: async (rec) => {
        const noDelete = new GithubClient({ ...rec.config.providers.github, token: GITHUB_TOKEN_NO_DELETE }, 5000);
        expect(await failure(noDelete.deleteRepo(orgOf(rec), 'contract-kept-repo'))).toMatchObject({
          code: 'PROVIDER_FORBIDDEN',
        });
      },
      seen: ['repos/delete 403'],
    },
    {
      when: 'When a repository, file, template, organisation or route does not exist, then the answer is 404 basic-error',
      act: async (rec) => {
        const gh = rec.clients.github;
        const org = orgOf(rec);
        const { templateOwner, templateRepo } = templateOf(rec);
        expect(await gh.getRepo(org, 'no-such-repo')).toBeNull();
        expect(await gh.deleteRepo(org, 'no-such-repo')).toBe(false);
        expect(await gh.getFile(templateOwner, templateRepo, 'no/such/file.txt')).toBeNull();
        await failure(gh.putFile({ owner: org, repo: 'no-such-repo', path: 'a.txt', content: b64('a'), message: 'a' }));
        await failure(
          gh.createFromTemplate({ ...fromTemplate(rec, 'contract-orphan'), templateRepo: 'no-such-template' }),
        );
        await rec.call('github', 'POST', '/orgs/no-such-org/repos', { body: { name: 'x' } });
        await rec.call('github', 'GET', '/no/such/route');
      },
      seen: [
        'repos/create-in-org 404',
        'repos/create-or-update-file-contents 404',
        'repos/create-using-template 404',
        'repos/delete 404',
        'repos/get 404',
        'repos/get-content 404',
        'unknown 404',
      ],
      used: ['repos/create-in-org 404 undocumented-status', 'repos/create-using-template 404 undocumented-status'],
    },
    {
      when: 'When a body is invalid or not JSON, then the emulator answers 422 (400 for bad JSON) exactly where the description rejects the request',
      ...withRepo('contract-taken', { auto_init: true }),
      act: async (rec) => {
        const org = orgOf(rec);
        const { templateOwner, templateRepo } = templateOf(rec);
        await rec.call('github', 'POST', `/orgs/${org}/repos`, { body: { private: true } });
        await rec.call('github', 'POST', `/orgs/${org}/repos`, { body: { name: 'contract-taken' } });
        await rec.call('github', 'POST', `/orgs/${org}/repos`, { raw: '{"name": ' });
        await rec.call('github', 'PUT', `/repos/${org}/contract-taken/contents/a.txt`, { body: { content: b64('a') } });
        await rec.call('github', 'POST', `/repos/${templateOwner}/${templateRepo}/generate`, { body: { owner: org } });
      },
      seen: [
        'repos/create-in-org 400',
        'repos/create-in-org 422',
        'repos/create-or-update-file-contents 422',
        'repos/create-using-template 422',
      ],
      // The taken name is a valid request refused by state: only the malformed bodies are the description's rejections too.
      unexplained: [
        'repos/create-in-org 422 request',
        'repos/create-in-org 400 request',
        'repos/create-or-update-file-contents 422 request',
        'repos/create-using-template 422 request',
      ],
      details: { 2: "must have required property 'message'" },
      used: ['repos/create-in-org 400 undocumented-status', 'repos/create-using-template 422 undocumented-status'],
    },
  ],
});
