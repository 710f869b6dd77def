import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ProviderName } from '../../src/shared/providers.js';
import type { SandboxExchange } from '../../src/sandbox/framework/sandbox-server.js';
import { n8nWorkflowFor } from '../../src/steps/templates/n8n-workflow.js';
import {
  contractPath,
  explain,
  keyOf,
  loadContract,
  type Contract,
  type ContractName,
  type Exception,
} from './contract-validator.js';
import { WAIT } from '../support/expect-helpers.js';
import { startRecordingSandbox, type RecordingSandbox } from './recording-sandbox.js';

/**
 * The contract tests can fail: each case takes an exchange recorded from the real client and the
 * emulator, which the description accepts, breaks one thing in it, and expects the validator to
 * reject it with an error naming what broke.
 */
let rec: RecordingSandbox;
const recorded = new Map<string, SandboxExchange>();
const contracts = new Map<ContractName, Contract>();

beforeAll(async () => {
  for (const name of ['supabase', 'github', 'vercel', 'n8n', 'gitea'] as const)
    contracts.set(name, await loadContract(name));
  rec = await startRecordingSandbox();
  const keep = (provider: ProviderName, exchanges: SandboxExchange[]) => {
    for (const x of exchanges) recorded.set(`${provider} ${x.operationId} ${x.response.status}`, x);
  };
  const { supabase, github, vercel, n8n, gitea } = rec.clients;
  const org = rec.config.providers.github.org;
  keep(
    'supabase',
    await rec.during('supabase', async () => {
      const project = await supabase.createProject({
        name: 'rejects',
        organization_slug: 'agency-org',
        region: 'eu-west-1',
        db_pass: 'S3cret-db-pass!',
      });
      await supabase.getApiKeys(project.ref);
      await supabase.deleteProject(project.ref);
    }),
  );
  keep(
    'github',
    await rec.during('github', () =>
      github.createFromTemplate({
        templateOwner: rec.config.providers.github.templateOwner,
        templateRepo: rec.config.providers.github.templateRepo,
        owner: org,
        name: 'rejects-app',
        private: true,
      }),
    ),
  );
  keep(
    'vercel',
    await rec.during('vercel', async () => {
      const project = await vercel.createProject({
        name: 'rejects',
        gitRepository: { type: 'github', repo: `${org}/rejects-app` },
      });
      const dep = await vercel.createDeployment({
        name: 'rejects',
        project: project.id,
        target: 'production',
        gitSource: { type: 'github', org, repo: 'rejects-app', ref: 'main' },
      });
      await vi.waitFor(async () => expect((await vercel.getDeployment(dep.id))?.readyState).toBe('READY'), WAIT);
    }),
  );
  keep(
    'n8n',
    await rec.during('n8n', () =>
      n8n.createWorkflow(
        n8nWorkflowFor({
          name: 'rejects',
          webhookPath: 'rejects',
          webhookId: '6f1c7f8e-3c1f-4a3e-9a3b-1b2c3d4e5f60',
          clientId: 'rejects',
        }),
      ),
    ),
  );
  keep(
    'gitea',
    await rec.during('gitea', () =>
      gitea.createFile({
        owner: 'ops-hub',
        repo: 'client-backups',
        path: 'rejects/n8n-workflow.json',
        content: 'e30=',
        message: 'Add',
      }),
    ),
  );
});
afterAll(async () => rec?.close());

/** A deep copy of a recorded exchange, changed by `edit`. */
function broken(key: string, edit: (x: SandboxExchange) => void): SandboxExchange {
  const original = recorded.get(key);
  if (!original) throw new Error(`no exchange ${key} was recorded`);
  const copy = structuredClone(original);
  edit(copy);
  return copy;
}
const problemsOf = (contract: ContractName, x: SandboxExchange) =>
  contracts
    .get(contract)!
    .check(x)
    .map((p) => `${keyOf(p)}: ${p.detail}`);
/** A recorded JSON body, read as the shape a case edits. */
const json = <T>(v: unknown) => v as T;

describe('The contract validator', () => {
  it('accepts the recorded exchanges the negative cases start from', () => {
    const known: Exception[] = [
      {
        key: 'getDeployment 200 response-body',
        because: 'overlapping oneOf (see vercel.contract.test.ts)',
        only: /passingSchemas":\[0,1\]/,
      },
    ];
    const nulls: Exception[] = [
      {
        key: 'repoCreateFile 201 response-body',
        because: 'Go nulls (see gitea.contract.test.ts)',
        only: /\(got null\)$/,
      },
    ];
    for (const [key, x] of recorded) {
      const name = key.split(' ')[0] as ContractName;
      expect(explain(contracts.get(name)!.check(x), [...known, ...nulls]).unexplained, key).toEqual([]);
    }
    expect([...recorded.keys()]).toEqual(
      expect.arrayContaining([
        'supabase v1-create-a-project 201',
        'vercel getDeployment 200',
        'github repos/create-using-template 201',
        'n8n createWorkflow 200',
      ]),
    );
  });

  it('rejects a createProject body without its required db_pass, naming the field', () => {
    const x = broken('supabase v1-create-a-project 201', (c) => delete json<Record<string, unknown>>(c.body).db_pass);
    expect(problemsOf('supabase', x)).toEqual([
      expect.stringMatching(/^v1-create-a-project 201 request: \/requestBody must have required property 'db_pass'/),
    ]);
  });

  it('rejects a region_selection whose discriminator names no variant', () => {
    const x = broken(
      'supabase v1-create-a-project 201',
      (c) => (json<{ region_selection: { type: string } }>(c.body).region_selection.type = 'nearest'),
    );
    expect(problemsOf('supabase', x).join('\n')).toMatch(
      /\/requestBody\/region_selection\/type must be equal to one of the allowed values/,
    );
  });

  it('rejects a project answer whose ref has 19 letters, and one whose status is not in the enum', () => {
    const shortRef = broken('supabase v1-create-a-project 201', (c) => {
      const body = json<{ ref: string }>(c.response.body);
      body.ref = body.ref.slice(0, 19);
    });
    expect(problemsOf('supabase', shortRef)).toEqual([
      expect.stringMatching(/^v1-create-a-project 201 response-body: \/ref must NOT have fewer than 20 characters/),
    ]);
    const status = broken(
      'supabase v1-create-a-project 201',
      (c) => (json<{ status: string }>(c.response.body).status = 'ALMOST_READY'),
    );
    expect(problemsOf('supabase', status)).toEqual([
      expect.stringMatching(
        /^v1-create-a-project 201 response-body: \/status must be equal to one of the allowed values .*ALMOST_READY/,
      ),
    ]);
  });

  it('rejects a success status the operation does not document (201 create answered 200)', () => {
    const x = broken('supabase v1-create-a-project 201', (c) => (c.response.status = 200));
    expect(problemsOf('supabase', x)).toEqual([
      'v1-create-a-project 200 undocumented-status: 200 is not among 201, 401, 403, 429',
    ]);
  });

  it('rejects an undocumented query parameter, a path off the description, and a missing credential', () => {
    const query = broken('supabase v1-get-project-api-keys 200', (c) => (c.query = { ...c.query, revealAll: 'true' }));
    expect(problemsOf('supabase', query)).toEqual([
      expect.stringMatching(
        /request: \/query must NOT have additional properties \{"additionalProperty":"revealAll"\}/,
      ),
    ]);
    const path = broken(
      'supabase v1-get-project-api-keys 200',
      (c) => (c.path = c.path.replace('/api-keys', '/apikeys')),
    );
    expect(problemsOf('supabase', path)[0]).toMatch(
      /route: GET \/v1\/projects\/[a-z]{20}\/apikeys is not GET \/v1\/projects\/\{ref\}\/api-keys/,
    );
    const anonymous = broken('supabase v1-get-project-api-keys 200', (c) => delete c.headers.authorization);
    expect(problemsOf('supabase', anonymous)).toEqual([
      expect.stringMatching(/security: none of \[\{"bearer":\[\]\},\{"fga_permissions"/),
    ]);
  });

  it('rejects a generated repository answered without its Location header or without a required field', () => {
    const noLocation = broken('github repos/create-using-template 201', (c) => delete c.response.headers.location);
    expect(problemsOf('github', noLocation)).toEqual([
      expect.stringMatching(/response-headers: \/headers must have required property 'location'/),
    ]);
    const noName = broken(
      'github repos/create-using-template 201',
      (c) => delete json<Record<string, unknown>>(c.response.body).full_name,
    );
    expect(problemsOf('github', noName)).toEqual([
      expect.stringMatching(/response-body: \/ must have required property 'full_name'/),
    ]);
  });

  it('rejects a deployment in an unknown state, which the overlapping-oneOf exception does not hide', () => {
    const exceptions: Exception[] = [
      {
        key: 'getDeployment 200 response-body',
        because: 'overlapping oneOf',
        only: /^\/ must match exactly one schema in oneOf \{"passingSchemas":\[0,1\]\}/,
      },
    ];
    const x = broken(
      'vercel getDeployment 200',
      (c) => (json<{ readyState: string }>(c.response.body).readyState = 'DONE'),
    );
    const { unexplained } = explain(contracts.get('vercel')!.check(x), exceptions);
    expect(unexplained).toHaveLength(1);
    expect(unexplained[0]?.detail).toMatch(/\/readyState must be equal to one of the allowed values .*"DONE"/);
  });

  it('rejects an n8n create body without settings, and one sent as text/plain', () => {
    const noSettings = broken('n8n createWorkflow 200', (c) => delete json<Record<string, unknown>>(c.body).settings);
    expect(problemsOf('n8n', noSettings)).toEqual([
      expect.stringMatching(/^createWorkflow 200 request: \/requestBody must have required property 'settings'/),
    ]);
    const text = broken('n8n createWorkflow 200', (c) => (c.headers['content-type'] = 'text/plain'));
    expect(problemsOf('n8n', text)).toEqual([
      'createWorkflow 200 request: Content-Type text/plain is not application/json',
    ]);
  });

  it('rejects a Gitea file answer whose sha is a number, which the Go-null exception does not hide', () => {
    const nulls: Exception[] = [
      { key: 'repoCreateFile 201 response-body', because: 'Go nulls', only: /\(got null\)$/ },
    ];
    const x = broken(
      'gitea repoCreateFile 201',
      (c) => (json<{ content: { sha: unknown } }>(c.response.body).content.sha = 42),
    );
    const { unexplained } = explain(contracts.get('gitea')!.check(x), nulls);
    expect(unexplained.map((p) => p.detail)).toEqual([
      expect.stringMatching(/\/content\/sha must be string .*\(got 42\)/),
    ]);
  });

  it('fails with a message naming the folder when a description is missing', () => {
    const saved = process.env.CONTRACTS_DIR;
    process.env.CONTRACTS_DIR = '/nonexistent/contracts';
    try {
      expect(() => contractPath('vercel')).toThrow(
        /vercel\.openapi\.json, not found in \/nonexistent\/contracts: set CONTRACTS_DIR/,
      );
    } finally {
      if (saved === undefined) delete process.env.CONTRACTS_DIR;
      else process.env.CONTRACTS_DIR = saved;
    }
  });
});
