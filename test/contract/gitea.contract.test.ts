import { expect } from 'vitest';
import { GiteaClient } from '../../src/providers/gitea.client.js';
import { failure } from '../support/expect-helpers.js';
import { describeContract } from './contract-suite.js';
import type { Exception } from './contract-validator.js';
import type { RecordingSandbox } from './recording-sandbox.js';

const OPERATIONS = [
  'createOrgRepo',
  'repoGet',
  'repoDelete',
  'repoGetContents',
  'repoCreateFile',
  'repoUpdateFile',
  'repoDeleteFile',
];
/**
 * go-swagger types Go pointers without `x-nullable`, so Gitea's JSON `null`s break the schema although
 * the field descriptions say "otherwise null"; and an organisation's `email` is "" (no format `email`).
 * Every error of such a problem must be one of these, with the value found.
 */
const GO_NULLS =
  /^\/((content|encoding|target|submodule_git_url)|content\/(content|encoding|target|submodule_git_url)) must be string .*\(got null\)$|^\/(verification\/signer|parent) must be object .*\(got null\)$|^\/owner\/email must match format "email" .*\(got ""\)$/;
/** go-swagger describes the `error`/`forbidden` responses' `message` and `url` as headers; Gitea sends them as the JSON body. */
const ERROR_HEADERS = /^\/headers must have required property '(message|url)'/;
const EXCEPTIONS: Exception[] = [
  ...[
    'createOrgRepo 201',
    'repoGet 200',
    'repoGetContents 200',
    'repoCreateFile 201',
    'repoUpdateFile 200',
    'repoUpdateFile 201',
    'repoDeleteFile 200',
  ].map((s) => ({
    key: `${s} response-body`,
    because:
      'Gitea serialises empty Go pointers as null (and an org email as ""), which the go-swagger schema does not allow',
    only: GO_NULLS,
  })),
  ...['repoCreateFile 422', 'repoUpdateFile 422', 'repoDeleteFile 404', 'repoDeleteFile 422'].map((s) => ({
    key: `${s} response-headers`,
    because:
      "the spec puts the error's message and url in headers (a go-swagger quirk); Gitea answers them as the JSON body {message, url}",
    only: ERROR_HEADERS,
  })),
  ...OPERATIONS.map((op) => ({
    key: `${op} 401 undocumented-status`,
    because: 'Gitea answers 401 {message, url} to a wrong token; the description lists no 401',
  })),
  {
    key: 'createOrgRepo 409 undocumented-status',
    because:
      'Gitea answers 409 for a repository name already taken; createOrgRepo lists only 400/403/404 (README §5 fact 3)',
  },
  {
    key: 'createOrgRepo 422 undocumented-status',
    because: "Gitea's form binding answers 422 to an invalid body; createOrgRepo lists 400",
  },
];

const b64 = (text: string) => Buffer.from(text).toString('base64');
/** The backup repository the client writes to, and a file in it. */
const backupRepo = (rec: RecordingSandbox) => {
  const { backupOwner: owner, backupRepo: repo } = rec.config.providers.gitea;
  return { owner, repo, file: (path: string) => ({ owner, repo, path }) };
};
const NO_SHA = 'f'.repeat(40);

describeContract({
  title: 'Gitea API against gitea.swagger.json (converted to OpenAPI 3)',
  provider: 'gitea',
  contract: 'gitea',
  exceptions: EXCEPTIONS,
  cases: [
    {
      when: "When the client backs a workflow up, updates and removes it, then every request and answer matches the description but for Gitea's nulls",
      act: async (rec) => {
        const gitea = rec.clients.gitea;
        const { owner, repo, file } = backupRepo(rec);
        const backup = file('contract-happy/n8n-workflow.json');
        expect(await gitea.getFile(owner, repo, backup.path)).toBeNull();
        await gitea.createFile({ ...backup, content: b64('{"v":1}'), message: 'Add backup' });
        const current = await gitea.getFile(owner, repo, backup.path);
        const updated = await gitea.updateFile({
          ...backup,
          content: b64('{"v":2}'),
          message: 'Update backup',
          sha: current!.sha,
        });
        await gitea.deleteFile({ ...backup, sha: updated.content!.sha, message: 'Remove backup' });
        // PUT without sha creates the file (201), and the repository operations the sandbox also serves.
        await rec.call('gitea', 'PUT', `/api/v1/repos/${owner}/${repo}/contents/contract-happy/other.json`, {
          body: { content: b64('{}') },
        });
        await rec.call('gitea', 'POST', `/api/v1/orgs/${owner}/repos`, {
          body: { name: 'contract-repo', private: true, auto_init: true },
        });
        await rec.call('gitea', 'GET', `/api/v1/repos/${owner}/contract-repo`);
        await rec.call('gitea', 'DELETE', `/api/v1/repos/${owner}/contract-repo`);
      },
      everyOperation: true,
      seen: [
        'createOrgRepo 201',
        'repoCreateFile 201',
        'repoDelete 204',
        'repoDeleteFile 200',
        'repoGet 200',
        'repoGetContents 200',
        'repoGetContents 404',
        'repoUpdateFile 200',
        'repoUpdateFile 201',
      ],
      used: EXCEPTIONS.filter((e) => e.only === GO_NULLS).map((e) => e.key),
      // AuthorizationHeaderToken is an apiKey header whose description asks for "token" and a space.
      also: (exchanges) =>
        expect(exchanges.every((x) => /^token \S+$/.test(String(x.headers.authorization)))).toBe(true),
    },
    {
      when: 'When the token is wrong, then every operation answers 401 {message, url}, which the description does not list',
      act: async (rec) => {
        const { owner, repo, file } = backupRepo(rec);
        const wrong = new GiteaClient({ ...rec.config.providers.gitea, token: 'not-the-right-token' }, 5000);
        const badToken = { authorization: 'token not-the-right-token' };
        expect(await failure(wrong.getFile(owner, repo, 'a.json'))).toMatchObject({ code: 'PROVIDER_AUTH_FAILED' });
        await failure(wrong.createFile({ ...file('a.json'), content: b64('{}'), message: 'a' }));
        await failure(wrong.updateFile({ ...file('a.json'), content: b64('{}'), message: 'a', sha: NO_SHA }));
        await failure(wrong.deleteFile({ ...file('a.json'), sha: NO_SHA, message: 'a' }));
        await rec.call('gitea', 'POST', `/api/v1/orgs/${owner}/repos`, { headers: badToken, body: { name: 'x' } });
        await rec.call('gitea', 'GET', `/api/v1/repos/${owner}/${repo}`, { headers: badToken });
        await rec.call('gitea', 'DELETE', `/api/v1/repos/${owner}/${repo}`, { headers: badToken });
      },
      seen: OPERATIONS.map((op) => `${op} 401`),
      used: EXCEPTIONS.filter((e) => e.key.includes(' 401 ')).map((e) => e.key),
    },
    {
      when: 'When a request carries no credential, then the description is broken and the answer is 401 {message, url}',
      act: (rec) => {
        const { owner, repo } = backupRepo(rec);
        return rec.call('gitea', 'GET', `/api/v1/repos/${owner}/${repo}`, { headers: {} });
      },
      seen: ['repoGet 401'],
      unexplained: ['repoGet 401 security'],
      used: ['repoGet 401 undocumented-status'],
    },
    {
      when: 'When a repository, file, organisation or route does not exist, then the answer is 404 {message, url}',
      act: async (rec) => {
        const gitea = rec.clients.gitea;
        const { owner, file } = backupRepo(rec);
        const missing = { owner, repo: 'no-such-repo', path: 'a.json' };
        expect(await gitea.getFile(owner, 'no-such-repo', 'a.json')).toBeNull();
        expect(await gitea.deleteFile({ ...file('no/such/file.json'), sha: NO_SHA, message: 'rm' })).toBe(false);
        await failure(gitea.createFile({ ...missing, content: b64('{}'), message: 'a' }));
        await failure(gitea.updateFile({ ...missing, content: b64('{}'), message: 'a', sha: NO_SHA }));
        await rec.call('gitea', 'POST', '/api/v1/orgs/no-such-org/repos', { body: { name: 'x' } });
        await rec.call('gitea', 'GET', `/api/v1/repos/${owner}/no-such-repo`);
        await rec.call('gitea', 'DELETE', `/api/v1/repos/${owner}/no-such-repo`);
        await rec.call('gitea', 'GET', '/api/v1/no/such/route');
      },
      seen: [...OPERATIONS.map((op) => `${op} 404`), 'unknown 404'],
      used: ['repoDeleteFile 404 response-headers'],
    },
    {
      when: "When a body is invalid, taken or not JSON, then the emulator answers Gitea's 409/422, and the description rejects the malformed requests too",
      arrange: async (rec) => {
        const taken = backupRepo(rec).file('contract-taken/n8n-workflow.json');
        await rec.clients.gitea.createFile({ ...taken, content: b64('{}'), message: 'Add' });
      },
      act: async (rec) => {
        const { owner, repo } = backupRepo(rec);
        const contents = `/api/v1/repos/${owner}/${repo}/contents/contract-taken/n8n-workflow.json`;
        await rec.call('gitea', 'POST', contents, { body: { message: 'no content' } });
        await rec.call('gitea', 'POST', contents, { body: { content: b64('{}') } });
        await rec.call('gitea', 'POST', contents, { raw: '{"content": ' });
        await rec.call('gitea', 'PUT', contents, { body: { content: b64('{}'), sha: NO_SHA } });
        await rec.call('gitea', 'DELETE', contents, { body: { message: 'no sha' } });
        await rec.call('gitea', 'POST', `/api/v1/orgs/${owner}/repos`, { body: { private: true } });
        await rec.call('gitea', 'POST', `/api/v1/orgs/${owner}/repos`, { body: { name: repo } });
      },
      seen: [
        'createOrgRepo 409',
        'createOrgRepo 422',
        'repoCreateFile 422',
        'repoDeleteFile 422',
        'repoUpdateFile 422',
      ],
      unexplained: [
        'repoCreateFile 422 request',
        'repoCreateFile 422 request',
        'repoDeleteFile 422 request',
        'createOrgRepo 422 request',
      ],
      details: { 0: "must have required property 'content'", 2: "must have required property 'sha'" },
      used: [
        'createOrgRepo 409 undocumented-status',
        'createOrgRepo 422 undocumented-status',
        'repoCreateFile 422 response-headers',
        'repoDeleteFile 422 response-headers',
        'repoUpdateFile 422 response-headers',
      ],
    },
  ],
});
