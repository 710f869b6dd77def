import { Octokit } from '@octokit/rest';
import type { GithubConfig } from './provider-config.js';
import { AppError, isAppError } from '../shared/errors.js';
import type { HttpMethod } from './http-method.js';
import { recordProviderRequest } from '../shared/metrics.js';
import { errorForStatus, errorForTransport, nullIfNotFound, type ProviderIdentity } from './provider-errors.js';
import { budgetCall, budgetIdentity, type BudgetCall, type BudgetLease, type RateBudget } from './rate-budget.js';

/**
 * GitHub REST through octokit. No retry or throttling plugin: a rate limit surfaces at
 * once as PROVIDER_RATE_LIMITED with `retryAfterMs`, and BullMQ's backoff retries the
 * step, so no request sits in an in-process queue that ignores the job's signal.
 */

/** The fields of `full-repository` we use. */
export interface FullRepository {
  id: number;
  name: string;
  full_name: string;
  html_url: string;
  private: boolean;
  default_branch?: string;
}

/** The fields of `content-file` we use; `content` is base64. */
export interface ContentFile {
  path: string;
  sha: string;
  content: string;
}

export interface CreateFromTemplateInput {
  templateOwner: string;
  templateRepo: string;
  owner: string;
  name: string;
  private: true;
  description?: string;
}

export interface PutFileInput {
  owner: string;
  repo: string;
  path: string;
  /** Base64. */
  content: string;
  message: string;
  /** The current blob sha; required to update an existing file. */
  sha?: string;
}

/** The fields of `file-commit` we use. */
export interface FileCommit {
  content: { sha: string } | null;
  commit: { sha: string };
}

export class GithubClient {
  private readonly octokit: Octokit;
  private readonly id: ProviderIdentity;
  private readonly identity: string;

  constructor(
    config: GithubConfig,
    private readonly timeoutMs: number,
    private readonly budget?: RateBudget,
  ) {
    this.identity = budgetIdentity(config.token);
    this.id = { provider: 'github', label: 'GitHub', credential: 'GITHUB_TOKEN', secrets: [config.token] };
    const quiet = () => undefined;
    this.octokit = new Octokit({
      auth: config.token,
      baseUrl: config.baseUrl.replace(/\/+$/, ''),
      userAgent: 'client-provisioner',
      log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    });
    this.octokit.hook.before('request', (options) => {
      options.headers['x-github-api-version'] = '2022-11-28';
    });
    // Every request counted once, by our operation name (passed along by `call`) and its status;
    // every answer, success or error, corrects the shared budget from its x-ratelimit-* headers.
    const operation = (o: { request: Record<string, unknown> }) =>
      typeof o.request.operation === 'string' ? o.request.operation : 'unknown';
    // What the budget lent this call (passed along by `call`), handed back with its answer.
    const lease = (o: { request: Record<string, unknown> }) => o.request.lease as BudgetLease | undefined;
    this.octokit.hook.wrap('request', async (request, options) => {
      const observe = (status: number, headers: Record<string, unknown> | undefined) =>
        this.budget?.observe(
          this.budgetCallFor(operation(options), options.method as HttpMethod),
          status,
          (name) => {
            const v = headers?.[name];
            return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
          },
          lease(options),
        );
      try {
        const res = await request(options);
        recordProviderRequest('github', operation(options), res.status);
        await observe(res.status, res.headers);
        return res;
      } catch (e) {
        const err = e as { status?: unknown; response?: { headers?: Record<string, unknown> } };
        recordProviderRequest('github', operation(options), typeof err.status === 'number' ? err.status : 'error');
        if (typeof err.status === 'number') await observe(err.status, err.response?.headers);
        throw e;
      }
    });
  }

  /** `null` when there is no such repository (or it is not visible yet). */
  async getRepo(owner: string, repo: string, signal?: AbortSignal): Promise<FullRepository | null> {
    return nullIfNotFound(
      this.call(
        'getRepo',
        'GET',
        signal,
        async (request) => (await this.octokit.rest.repos.get({ owner, repo, request })).data,
      ),
    );
  }

  async createFromTemplate(input: CreateFromTemplateInput, signal?: AbortSignal): Promise<FullRepository> {
    return this.call('createFromTemplate', 'POST', signal, async (request) => {
      const res = await this.octokit.rest.repos.createUsingTemplate({
        template_owner: input.templateOwner,
        template_repo: input.templateRepo,
        owner: input.owner,
        name: input.name,
        private: input.private,
        ...(input.description ? { description: input.description } : {}),
        request,
      });
      return res.data;
    });
  }

  /** `false` when there was no such repository. A 403 names the `delete_repo` scope. */
  async deleteRepo(owner: string, repo: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.call('deleteRepo', 'DELETE', signal, (request) =>
        this.octokit.rest.repos.delete({ owner, repo, request }),
      );
      return true;
    } catch (e) {
      if (isAppError(e) && e.code === 'PROVIDER_NOT_FOUND') return false;
      if (isAppError(e) && e.code === 'PROVIDER_FORBIDDEN') {
        throw new AppError(
          'PROVIDER_FORBIDDEN',
          `${e.message} (GITHUB_TOKEN needs the delete_repo scope and admin rights on ${owner}/${repo}, and the org must allow members to delete repositories)`,
          { details: e.details, cause: e },
        );
      }
      throw e;
    }
  }

  /** `null` when the file (or the repository) is not there; a directory is an error. */
  async getFile(owner: string, repo: string, path: string, signal?: AbortSignal): Promise<ContentFile | null> {
    const data = await nullIfNotFound(
      this.call(
        'getFile',
        'GET',
        signal,
        async (request) => (await this.octokit.rest.repos.getContent({ owner, repo, path, request })).data,
      ),
    );
    if (data === null) return null;
    if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) {
      throw new AppError('PROVIDER_REJECTED', `GitHub getFile: ${owner}/${repo}/${path} is not a file`, {
        details: { provider: 'github', operation: 'getFile' },
      });
    }
    return { path: data.path, sha: data.sha, content: data.content };
  }

  /** Creates the file, or updates it when `sha` is given. */
  async putFile(input: PutFileInput, signal?: AbortSignal): Promise<FileCommit> {
    return this.call('putFile', 'PUT', signal, async (request) => {
      const res = await this.octokit.rest.repos.createOrUpdateFileContents({
        owner: input.owner,
        repo: input.repo,
        path: input.path,
        message: input.message,
        content: input.content,
        ...(input.sha ? { sha: input.sha } : {}),
        request,
      });
      return {
        content: res.data.content?.sha ? { sha: res.data.content.sha } : null,
        commit: { sha: res.data.commit.sha ?? '' },
      };
    });
  }

  /** Runs one octokit call with the timeout joined to the caller's signal, mapping its errors. */
  private async call<T>(
    operation: string,
    method: HttpMethod,
    signal: AbortSignal | undefined,
    fn: (request: { signal: AbortSignal; operation: string; lease?: BudgetLease }) => Promise<T>,
  ): Promise<T> {
    const lease = await this.budget?.acquire(this.budgetCallFor(operation, method), signal);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      return await fn({
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
        operation,
        ...(lease ? { lease } : {}),
      });
    } catch (e) {
      throw this.toAppError(operation, e);
    }
  }

  private budgetCallFor(operation: string, method: HttpMethod): BudgetCall {
    return budgetCall('github', this.identity, operation, method);
  }

  private toAppError(operation: string, e: unknown): AppError {
    if (isAppError(e)) return e;
    const err = e as { status?: unknown; response?: { headers?: Record<string, string | undefined>; data?: unknown } };
    if (typeof err.status === 'number' && err.response) {
      const data = err.response.data;
      const message =
        data && typeof data === 'object' && 'message' in data && typeof data.message === 'string'
          ? data.message
          : undefined;
      return errorForStatus(this.id, {
        operation,
        status: err.status,
        headers: err.response.headers ?? {},
        providerMessage: message,
      });
    }
    return errorForTransport(this.id, operation, e, this.timeoutMs);
  }
}
