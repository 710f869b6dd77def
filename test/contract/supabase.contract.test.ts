import { expect, vi } from 'vitest';
import { SupabaseClient } from '../../src/providers/supabase.client.js';
import { failure, WAIT } from '../support/expect-helpers.js';
import { contractCase, describeContract } from './contract-suite.js';
import type { Exception } from './contract-validator.js';
import type { RecordingSandbox } from './recording-sandbox.js';

/** Where the real Management API answers what supabase-management.openapi.json does not describe. */
const EXCEPTIONS: Exception[] = [
  ...['v1-get-project', 'v1-delete-a-project', 'v1-get-project-api-keys', 'v1-get-pooler-config', 'v1-run-a-query'].map(
    (op) => ({
      key: `${op} 404 undocumented-status`,
      because: 'Supabase answers 404 {message} for an unknown ref; the description lists no 404 (README §1 fact 2)',
    }),
  ),
  ...['v1-create-a-project', 'v1-run-a-query'].map((op) => ({
    key: `${op} 400 undocumented-status`,
    because: 'Supabase answers 400 {message} to a body it refuses; the description lists no 400',
  })),
];
const NO_SUCH_REF = 'zzzzzzzzzzzzzzzzzzzz';

const createInput = (rec: RecordingSandbox, name: string) => ({
  name,
  organization_slug: rec.config.providers.supabase.orgSlug,
  region: 'eu-west-1',
  db_pass: 'S3cret-db-pass!',
});

describeContract({
  title: 'Supabase Management API against supabase-management.openapi.json',
  provider: 'supabase',
  contract: 'supabase',
  exceptions: EXCEPTIONS,
  cases: [
    {
      when: 'When the client creates, reads and deletes a project, then every request and answer matches the description',
      act: async (rec) => {
        const sb = rec.clients.supabase;
        const project = await sb.createProject(createInput(rec, 'contract-happy'));
        await vi.waitFor(async () => expect((await sb.getProject(project.ref))?.status).toBe('ACTIVE_HEALTHY'), WAIT);
        await sb.getApiKeys(project.ref);
        await sb.getPoolerConfig(project.ref);
        await sb.listProjects();
        await rec.call('supabase', 'POST', `/v1/projects/${project.ref}/database/query`, {
          body: { query: 'select 1 as one' },
        });
        await rec.call('supabase', 'POST', `/v1/projects/${project.ref}/database/query/read-only`, {
          body: { query: 'select 1 as one' },
        });
        await sb.deleteProject(project.ref);
      },
      everyOperation: true,
      seen: [
        'v1-create-a-project 201',
        'v1-delete-a-project 200',
        'v1-get-pooler-config 200',
        'v1-get-project 200',
        'v1-get-project-api-keys 200',
        'v1-list-all-projects 200',
        'v1-read-only-query 201',
        'v1-run-a-query 201',
      ],
    },
    {
      when: 'When the token is wrong, then every operation answers 401 {message}, as described',
      act: async (rec) => {
        const wrong = new SupabaseClient({ ...rec.config.providers.supabase, token: 'sbp_not_the_right_token' }, 5000);
        expect(await failure(wrong.listProjects())).toMatchObject({ code: 'PROVIDER_AUTH_FAILED' });
        await failure(wrong.createProject(createInput(rec, 'contract-denied')));
        await failure(wrong.getProject(NO_SUCH_REF));
        await failure(wrong.deleteProject(NO_SUCH_REF));
        await failure(wrong.getApiKeys(NO_SUCH_REF));
        await failure(wrong.getPoolerConfig(NO_SUCH_REF));
        const bearer = { authorization: 'Bearer sbp_not_the_right_token' };
        await rec.call('supabase', 'POST', `/v1/projects/${NO_SUCH_REF}/database/query`, {
          headers: bearer,
          body: { query: 'select 1' },
        });
        await rec.call('supabase', 'POST', `/v1/projects/${NO_SUCH_REF}/database/query/read-only`, {
          headers: bearer,
          body: { query: 'select 1' },
        });
      },
      seen: [
        'v1-create-a-project 401',
        'v1-delete-a-project 401',
        'v1-get-pooler-config 401',
        'v1-get-project 401',
        'v1-get-project-api-keys 401',
        'v1-list-all-projects 401',
        'v1-read-only-query 401',
        'v1-run-a-query 401',
      ],
    },
    {
      when: 'When a request carries no token at all, then the description is broken and the answer is 401 {message}',
      act: (rec) => rec.call('supabase', 'GET', '/v1/projects', { headers: {} }),
      seen: ['v1-list-all-projects 401'],
      unexplained: ['v1-list-all-projects 401 security'],
    },
    {
      when: 'When a project or a route does not exist, then the answer is 404 {message} (real behaviour the description omits)',
      act: async (rec) => {
        const sb = rec.clients.supabase;
        expect(await sb.getProject(NO_SUCH_REF)).toBeNull();
        expect(await sb.deleteProject(NO_SUCH_REF)).toBe(false);
        await failure(sb.getApiKeys(NO_SUCH_REF));
        await failure(sb.getPoolerConfig(NO_SUCH_REF));
        await rec.call('supabase', 'POST', `/v1/projects/${NO_SUCH_REF}/database/query`, {
          body: { query: 'select 1' },
        });
        await rec.call('supabase', 'GET', '/v1/no-such-route');
      },
      seen: [
        'unknown 404',
        'v1-delete-a-project 404',
        'v1-get-pooler-config 404',
        'v1-get-project 404',
        'v1-get-project-api-keys 404',
        'v1-run-a-query 404',
      ],
      used: EXCEPTIONS.filter((e) => e.key.includes(' 404 ')).map((e) => e.key),
    },
    contractCase({
      when: 'When a body is invalid or not JSON, then the emulator answers 400 {message} exactly where the description rejects the request',
      arrange: (rec) => rec.clients.supabase.createProject(createInput(rec, 'contract-bad-bodies')),
      act: async (rec, project) => {
        await rec.call('supabase', 'POST', '/v1/projects', { body: { name: 'no-password-no-org' } });
        await rec.call('supabase', 'POST', '/v1/projects', { raw: '{"name": ' });
        await rec.call('supabase', 'POST', `/v1/projects/${project.ref}/database/query`, { body: { query: '' } });
      },
      cleanup: (rec, project) => rec.clients.supabase.deleteProject(project.ref),
      seen: ['v1-create-a-project 400', 'v1-run-a-query 400'],
      unexplained: ['v1-create-a-project 400 request', 'v1-create-a-project 400 request', 'v1-run-a-query 400 request'],
      details: {
        0: "must have required property 'db_pass'",
        2: '/requestBody/query must NOT have fewer than 1 characters',
      },
      used: ['v1-create-a-project 400 undocumented-status', 'v1-run-a-query 400 undocumented-status'],
    }),
  ],
});
