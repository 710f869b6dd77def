import type { VercelConfig } from './provider-config.js';
import { AppError } from '../shared/errors.js';
import { budgetIdentity, type RateBudget } from './rate-budget.js';
import { HttpClient, type ErrorEnvelope } from './http.client.js';
import { epochSecondsToWait, nullIfNotFound } from './provider-errors.js';

/** Vercel REST (`Authorization: Bearer`, `teamId` on every call when configured). */

export type ReadyState = 'QUEUED' | 'BUILDING' | 'ERROR' | 'INITIALIZING' | 'READY' | 'CANCELED';
export type EnvTarget = 'production' | 'preview' | 'development';

/** The fields of a project (`getProject`/`createProject` answers) we use. */
export interface VercelProject {
  id: string;
  name: string;
  link?: { type?: string; org?: string; repo?: string } | null;
  /** The current deployment per target, when there is one. */
  targets?: Record<string, { id: string; readyState: ReadyState; url?: string } | null>;
  latestDeployments?: { id: string; readyState: ReadyState; target?: string | null; url?: string }[];
}

export interface CreateProjectInput {
  name: string;
  framework?: string | null;
  gitRepository: { type: 'github'; repo: string };
}

/** One item of the `createProjectEnv` array body. */
export interface ProjectEnvInput {
  key: string;
  value: string;
  type: 'plain' | 'encrypted' | 'sensitive';
  target: EnvTarget[];
}

/** `createProjectEnv` 201 answer: what was written, and what failed. */
export interface CreateProjectEnvResponse {
  created: unknown;
  failed: { error: { code: string; message: string; key?: string } }[];
}

export interface CreateDeploymentInput {
  name: string;
  project: string;
  target: 'production';
  gitSource: { type: 'github'; org: string; repo: string; ref: string };
}

/** The fields of a deployment we use; `url` is a host name without a scheme. */
export interface VercelDeployment {
  id: string;
  url: string;
  readyState: ReadyState;
  projectId?: string;
}

interface VercelErrorBody {
  error?: {
    code?: unknown;
    message?: unknown;
    invalidToken?: unknown;
    missingToken?: unknown;
    limit?: { reset?: unknown };
  };
}

/**
 * `{error: {code, message, limit?}}`. A refused token is a 403 `forbidden` with
 * `invalidToken: true` or `missingToken: true` beside the code (or such a code).
 */
function readVercelError(body: unknown): ErrorEnvelope {
  const error = (body as VercelErrorBody | undefined)?.error;
  if (!error || typeof error !== 'object') return {};
  const code = typeof error.code === 'string' ? error.code : undefined;
  const reset = typeof error.limit?.reset === 'number' ? error.limit.reset : undefined;
  const tokenRefused =
    error.invalidToken === true || error.missingToken === true || code === 'invalidToken' || code === 'missingToken';
  return {
    ...(typeof error.message === 'string' ? { message: code ? `${code}: ${error.message}` : error.message } : {}),
    ...(tokenRefused ? { authFailed: true } : {}),
    ...(reset !== undefined ? { retryAfterMs: epochSecondsToWait(reset) } : {}),
  };
}

export class VercelClient {
  private readonly http: HttpClient;

  constructor(config: VercelConfig, timeoutMs: number, budget?: RateBudget) {
    this.http = new HttpClient({
      provider: 'vercel',
      label: 'Vercel',
      credential: 'VERCEL_TOKEN',
      secrets: [config.token],
      baseUrl: config.baseUrl,
      headers: { authorization: `Bearer ${config.token}` },
      ...(config.teamId ? { query: { teamId: config.teamId } } : {}),
      timeoutMs,
      readError: readVercelError,
      ...(budget ? { budget, budgetIdentity: budgetIdentity(config.token) } : {}),
    });
  }

  /** `null` when there is no such project. */
  async getProject(idOrName: string, signal?: AbortSignal): Promise<VercelProject | null> {
    const call = this.http.request<VercelProject>({
      operation: 'getProject',
      method: 'GET',
      path: `/v9/projects/${encodeURIComponent(idOrName)}`,
      signal,
    });
    return (await nullIfNotFound(call))?.data ?? null;
  }

  async createProject(input: CreateProjectInput, signal?: AbortSignal): Promise<VercelProject> {
    const res = await this.http.request<VercelProject>({
      operation: 'createProject',
      method: 'POST',
      path: '/v11/projects',
      body: input,
      signal,
    });
    return res.data;
  }

  /** `false` when there was no such project. */
  async deleteProject(idOrName: string, signal?: AbortSignal): Promise<boolean> {
    const call = this.http.request<undefined>({
      operation: 'deleteProject',
      method: 'DELETE',
      path: `/v9/projects/${encodeURIComponent(idOrName)}`,
      signal,
    });
    return (await nullIfNotFound(call)) !== null;
  }

  /** Creates or overwrites (`?upsert=true`) each variable; any item Vercel refused is an error naming its key. */
  async upsertEnv(projectId: string, vars: ProjectEnvInput[], signal?: AbortSignal): Promise<CreateProjectEnvResponse> {
    const res = await this.http.request<CreateProjectEnvResponse>({
      operation: 'createProjectEnv',
      method: 'POST',
      path: `/v10/projects/${encodeURIComponent(projectId)}/env`,
      query: { upsert: 'true' },
      body: vars,
      signal,
    });
    const failed = res.data?.failed ?? [];
    if (failed.length > 0) {
      const keys = failed.map((f) => `${f.error.key ?? '?'} (${f.error.code})`).join(', ');
      throw new AppError('PROVIDER_REJECTED', `Vercel createProjectEnv refused ${keys}`, {
        details: { provider: 'vercel', operation: 'createProjectEnv' },
      });
    }
    return res.data;
  }

  async createDeployment(input: CreateDeploymentInput, signal?: AbortSignal): Promise<VercelDeployment> {
    const res = await this.http.request<VercelDeployment>({
      operation: 'createDeployment',
      method: 'POST',
      path: '/v13/deployments',
      scope: `project:${input.project}`,
      body: input,
      signal,
    });
    return res.data;
  }

  /** `null` when there is no such deployment. */
  async getDeployment(id: string, signal?: AbortSignal): Promise<VercelDeployment | null> {
    const call = this.http.request<VercelDeployment>({
      operation: 'getDeployment',
      method: 'GET',
      path: `/v13/deployments/${encodeURIComponent(id)}`,
      signal,
    });
    return (await nullIfNotFound(call))?.data ?? null;
  }
}
