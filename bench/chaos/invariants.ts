import type { ProvisionRequest } from '../../src/shared/provision-request.js';
import type { RunView } from '../../src/runs/run-view.js';
import { resourcesOf } from '../../test/support/harness.js';

/**
 * SPEC 4, checked against what the sandbox holds at the end: one function from the chaos run's
 * observations to the violations, each naming its run, its client and what is wrong.
 */

export const FINAL_STATES = ['succeeded', 'rolled_back', 'rollback_failed'] as const;
export const isFinal = (state: string | undefined): boolean =>
  (FINAL_STATES as readonly string[]).includes(state ?? '');

export type ViolationKind =
  | 'stuck'
  | 'lost'
  | 'duplicate'
  | 'orphan'
  | 'not-provisioned'
  | 'not-rolled-back'
  | 'left-mismatch'
  | 'config'
  | 'secret'
  | 'duplicate-post'
  | 'post-refused';

export interface Violation {
  kind: ViolationKind;
  clientId?: string;
  runId?: string;
  detail: string;
  /** The sandbox's calls about this client's resources (`HH:MM:SS.mmm METHOD path status fault`), added by the caller. */
  calls?: string[];
}

export interface ClientOutcome {
  request: ProvisionRequest;
  /** The run the API answered 202 with; undefined when it never did. */
  runId?: string;
  /** The last answer to the POST (after retries of 503s). */
  postStatus: number;
  /** A second POST sent at the same time, when the plan asked for one. */
  secondPost?: { status: number; runId?: string };
  /** GET of the run at the end; undefined when it answered 404. */
  view?: RunView;
}

export interface CheckInput {
  clients: ClientOutcome[];
  /** `GET /_sandbox/state` at the end. */
  state: SandboxWorld;
  /** What the sandbox held before the first POST (seeded fixtures): not anybody's resource. */
  baseline: SandboxWorld;
  region: string;
  backupRepo: string;
  /** Secret values found in clear in Redis: which secret, under which key. */
  secretsInRedis: { secret: string; key: string }[];
}

export interface SandboxWorld {
  supabase?: { projects?: { ref: string; name: string; status: string; region?: string }[] };
  github?: { repos?: { name: string; full_name: string; private: boolean; files?: string[] }[] };
  vercel?: {
    projects?: { id: string; name: string; link?: { repo: string } | null; env?: { key: string; type: string }[] }[];
    deployments?: { id: string; projectId: string; readyState: string; target?: string | null }[];
  };
  n8n?: { workflows?: { id: string; name: string; active: boolean; webhookPaths?: string[] }[] };
  gitea?: { files?: { repo: string; path: string }[] };
}

/** Each step's resource at the providers (`database` lives in the Supabase project). */
const PROVIDER_OF_STEP = {
  supabase: 'supabase',
  github: 'github',
  vercel: 'vercel',
  n8n: 'n8n',
  backup: 'gitea',
} as const;
type Kind = keyof ReturnType<typeof resourcesOf>;
type Of<K extends keyof SandboxWorld, L extends string> = NonNullable<
  NonNullable<SandboxWorld[K]>[L & keyof NonNullable<SandboxWorld[K]>]
>;
/** One client's resources, by kind (harness's `resourcesOf`, typed). */
interface Mine {
  supabase: Of<'supabase', 'projects'>;
  github: Of<'github', 'repos'>;
  vercel: Of<'vercel', 'projects'>;
  n8n: Of<'n8n', 'workflows'>;
  gitea: Of<'gitea', 'files'>;
}
const mineOf = (world: SandboxWorld, clientId: string): Mine => resourcesOf(world, clientId);
const KINDS: readonly Kind[] = ['supabase', 'github', 'vercel', 'n8n', 'gitea'];

const VERCEL_ENV = [
  'NEXT_PUBLIC_SUPABASE_URL',
  'NEXT_PUBLIC_SUPABASE_ANON_KEY',
  'SUPABASE_SERVICE_ROLE_KEY',
  'NEXT_PUBLIC_APP_URL',
  'CLIENT_ID',
  'ENABLED_MODULES',
];

export function checkInvariants(input: CheckInput): Violation[] {
  const out: Violation[] = [];
  const add = (kind: ViolationKind, detail: string, c?: ClientOutcome) =>
    out.push({ kind, detail, ...(c ? { clientId: c.request.clientId, ...(c.runId ? { runId: c.runId } : {}) } : {}) });
  const world = withoutBaseline(input.state, input.baseline);

  for (const c of input.clients) {
    if (!c.runId) {
      add('post-refused', `POST answered ${c.postStatus}, never 202`, c);
      continue;
    }
    if (c.secondPost && c.secondPost.runId !== c.runId)
      add(
        'duplicate-post',
        `a second POST at the same time answered ${c.secondPost.status} with run ${c.secondPost.runId ?? 'none'}, not ${c.runId}`,
        c,
      );
    const mine = mineOf(world, c.request.clientId);
    for (const kind of KINDS)
      if (mine[kind].length > 1) add('duplicate', `${mine[kind].length} ${kind} resources for one client`, c);
    for (const project of mine.vercel) {
      const deployments = (world.vercel?.deployments ?? []).filter((d) => d.projectId === project.id);
      if (deployments.length > 1)
        add(
          'duplicate',
          `${deployments.length} Vercel deployments of ${project.name}: ${deployments.map((d) => `${d.id} ${d.readyState}`).join(', ')}`,
          c,
        );
    }

    const view = c.view;
    if (!view) {
      add('lost', 'answered 202, but the API has no such run', c);
      continue;
    }
    if (!isFinal(view.state)) {
      add('stuck', `still ${view.state} at the end (${stepSummary(view)})`, c);
      continue;
    }
    const present = KINDS.filter((k) => mine[k].length > 0);
    if (view.state === 'succeeded') {
      const missing = KINDS.filter((k) => mine[k].length === 0);
      if (missing.length) add('not-provisioned', `succeeded, but no ${missing.join(', ')} at the providers`, c);
      for (const problem of configProblems(c, mine, world, input)) add('config', problem, c);
    } else if (view.state === 'rolled_back') {
      if (present.length)
        add(
          'not-rolled-back',
          `rolled_back, but ${present.map((k) => `${k} ${describe(mine[k][0])}`).join(', ')} left`,
          c,
        );
    } else {
      const left = view.leftResources ?? {};
      const listed = new Set(
        Object.keys(left)
          .filter((step): step is keyof typeof PROVIDER_OF_STEP => step in PROVIDER_OF_STEP)
          .map((step) => PROVIDER_OF_STEP[step]),
      );
      for (const k of present)
        if (!listed.has(k))
          add('orphan', `rollback_failed, but ${k} ${describe(mine[k][0])} is left and not listed`, c);
      for (const k of listed)
        if (!present.includes(k))
          add('left-mismatch', `rollback_failed lists ${k} as left, but the provider has none`, c);
    }
  }

  for (const problem of orphansOfNoRun(world, input.clients)) out.push({ kind: 'orphan', detail: problem });
  for (const s of input.secretsInRedis)
    out.push({ kind: 'secret', detail: `${s.secret} in clear in Redis key ${s.key}` });
  return out;
}

function configProblems(c: ClientOutcome, mine: Mine, world: SandboxWorld, input: CheckInput): string[] {
  const problems: string[] = [];
  const id = c.request.clientId.toLowerCase();
  const view = c.view!;
  const r = view.resources as Record<string, Record<string, unknown> | undefined>;
  const notDone = view.steps.filter((s) => !['succeeded', 'skipped'].includes(s.state));
  if (notDone.length) problems.push(`succeeded with steps ${notDone.map((s) => `${s.name} ${s.state}`).join(', ')}`);
  const [project] = mine.supabase;
  if (project) {
    if (project.status !== 'ACTIVE_HEALTHY') problems.push(`Supabase project is ${project.status}`);
    if (project.region !== input.region) problems.push(`Supabase project in ${project.region}, not ${input.region}`);
    if (r.supabase?.ref !== project.ref)
      problems.push(`run says Supabase ${String(r.supabase?.ref)}, the provider has ${project.ref}`);
  }
  const [repo] = mine.github;
  if (repo) {
    if (!repo.private) problems.push('GitHub repo is public');
    if (!(repo.files ?? []).includes('client-config.json')) problems.push('GitHub repo has no client-config.json');
    if (r.github?.fullName !== repo.full_name)
      problems.push(`run says repo ${String(r.github?.fullName)}, GitHub has ${repo.full_name}`);
  }
  const [vercel] = mine.vercel;
  if (vercel) {
    if (repo && vercel.link?.repo !== repo.full_name)
      problems.push(`Vercel project linked to ${vercel.link?.repo}, not ${repo.full_name}`);
    const keys = new Map((vercel.env ?? []).map((e) => [e.key, e.type]));
    const missing = VERCEL_ENV.filter((k) => !keys.has(k));
    if (missing.length) problems.push(`Vercel env lacks ${missing.join(', ')}`);
    if (keys.has('SUPABASE_SERVICE_ROLE_KEY') && keys.get('SUPABASE_SERVICE_ROLE_KEY') !== 'sensitive')
      problems.push('the service-role key is not a sensitive Vercel variable');
    const deployments = (world.vercel?.deployments ?? []).filter((d) => d.projectId === vercel.id);
    // More than one is a duplicate, counted as such with the client's other resources.
    if (deployments.length === 0) problems.push('no Vercel deployment');
    else if (!deployments.some((d) => d.readyState === 'READY'))
      problems.push(`Vercel deployment is ${deployments[0]!.readyState}`);
    if (r.vercel?.projectId !== vercel.id)
      problems.push(`run says Vercel ${String(r.vercel?.projectId)}, Vercel has ${vercel.id}`);
  }
  const [workflow] = mine.n8n;
  if (workflow) {
    if (workflow.name !== `Client ${id} - ${c.request.clientName}`)
      problems.push(`n8n workflow named ${workflow.name}`);
    if (!workflow.active) problems.push('n8n workflow inactive');
    if (!(workflow.webhookPaths ?? []).includes(`client-${id}/content`)) problems.push('n8n webhook not registered');
    if (String(r.n8n?.workflowId) !== String(workflow.id))
      problems.push(`run says workflow ${String(r.n8n?.workflowId)}, n8n has ${workflow.id}`);
  }
  const [file] = mine.gitea;
  if (file && file.repo !== input.backupRepo) problems.push(`backup in ${file.repo}, not ${input.backupRepo}`);
  return problems;
}

/** Resources whose name derives from none of the chaos run's clients, and deployments of no project. */
function orphansOfNoRun(world: SandboxWorld, clients: ClientOutcome[]): string[] {
  const ours = new Set(clients.map((c) => c.request.clientId.toLowerCase()));
  const problems: string[] = [];
  const check = (what: string, id: string | undefined, label: string) => {
    if (id === undefined || !ours.has(id)) problems.push(`${what} ${label} belongs to no run`);
  };
  for (const p of world.supabase?.projects ?? []) check('Supabase project', /^client-(.+)$/.exec(p.name)?.[1], p.name);
  for (const r of world.github?.repos ?? []) check('GitHub repo', /^client-(.+)-app$/.exec(r.name)?.[1], r.full_name);
  for (const p of world.vercel?.projects ?? []) check('Vercel project', /^client-(.+)-app$/.exec(p.name)?.[1], p.name);
  for (const w of world.n8n?.workflows ?? []) check('n8n workflow', /^Client (.+?) - /.exec(w.name)?.[1], w.name);
  for (const f of world.gitea?.files ?? [])
    check('Gitea file', /^(.+)\/n8n-workflow\.json$/.exec(f.path)?.[1], `${f.repo}/${f.path}`);
  const projects = new Set((world.vercel?.projects ?? []).map((p) => p.id));
  for (const d of world.vercel?.deployments ?? [])
    if (!projects.has(d.projectId)) problems.push(`Vercel deployment ${d.id} of project ${d.projectId}, which is gone`);
  return problems;
}

/** The world less what was there before the first POST (compared by a stable key per kind). */
function withoutBaseline(state: SandboxWorld, baseline: SandboxWorld): SandboxWorld {
  const not = <T>(items: T[] | undefined, before: T[] | undefined, key: (x: T) => string): T[] => {
    const seen = new Set((before ?? []).map(key));
    return (items ?? []).filter((x) => !seen.has(key(x)));
  };
  return {
    supabase: { projects: not(state.supabase?.projects, baseline.supabase?.projects, (p) => p.ref) },
    github: { repos: not(state.github?.repos, baseline.github?.repos, (r) => r.full_name) },
    vercel: {
      projects: not(state.vercel?.projects, baseline.vercel?.projects, (p) => p.id),
      deployments: not(state.vercel?.deployments, baseline.vercel?.deployments, (d) => d.id),
    },
    n8n: { workflows: not(state.n8n?.workflows, baseline.n8n?.workflows, (w) => w.id) },
    gitea: { files: not(state.gitea?.files, baseline.gitea?.files, (f) => `${f.repo}/${f.path}`) },
  };
}

const describe = (x: { ref?: string; full_name?: string; id?: string; name?: string; path?: string } | undefined) =>
  x?.ref ?? x?.full_name ?? x?.path ?? x?.name ?? x?.id ?? '?';

export const stepSummary = (view: RunView): string =>
  view.steps.map((s) => `${s.name} ${s.state}${s.attempts ? `×${s.attempts}` : ''}`).join(', ');
