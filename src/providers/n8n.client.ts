import type { N8nConfig } from './provider-config.js';
import { isAppError } from '../shared/errors.js';
import { HttpClient, encodePath } from './http.client.js';
import { nullIfNotFound } from './provider-errors.js';

/**
 * n8n public API v1 (`X-N8N-API-KEY`, under `/api/v1`), for n8n 1.x and 2.x. Names are
 * not unique and the list's name filter is a case-insensitive substring with `%`/`_`
 * wildcards, so exact matching is done here.
 */

/** The fields of a workflow (`workflow` in 1.x, `workflowPublicDto` in 2.x) we use. */
export interface N8nWorkflow {
  id: string;
  name: string;
  active: boolean;
  createdAt?: string;
  updatedAt?: string;
  nodes: unknown[];
  connections: Record<string, unknown>;
  settings?: Record<string, unknown>;
  [field: string]: unknown;
}

/** `workflowList`: one page. */
export interface N8nWorkflowList {
  data: N8nWorkflow[];
  nextCursor?: string | null;
}

/** The create body: only these four (active, id and tags are read-only and refused). */
export interface CreateWorkflowInput {
  name: string;
  nodes: unknown[];
  connections: Record<string, unknown>;
  settings: Record<string, unknown>;
}

const MAX_PAGES = 200;

export class N8nClient {
  private readonly http: HttpClient;
  private readonly root: HttpClient;

  constructor(config: N8nConfig, timeoutMs: number) {
    const identity = { provider: 'n8n', label: 'n8n', credential: 'N8N_API_KEY', secrets: [config.apiKey] } as const;
    this.http = new HttpClient({
      ...identity,
      baseUrl: `${config.baseUrl}/api/v1`,
      headers: { 'x-n8n-api-key': config.apiKey },
      timeoutMs,
    });
    this.root = new HttpClient({ ...identity, baseUrl: config.baseUrl, headers: {}, timeoutMs });
  }

  /** One page of workflows. */
  async listWorkflowsPage(
    filter: { name?: string; limit?: number; cursor?: string },
    signal?: AbortSignal,
  ): Promise<N8nWorkflowList> {
    const res = await this.http.request<N8nWorkflowList>({
      operation: 'getWorkflows',
      method: 'GET',
      path: '/workflows',
      query: { name: filter.name, limit: filter.limit ?? 250, cursor: filter.cursor, excludePinnedData: true },
      signal,
    });
    return res.data;
  }

  /** Every workflow matching the (substring) name filter, following `nextCursor` from `cursor`. */
  async listWorkflows(
    filter: { name?: string; limit?: number; cursor?: string } = {},
    signal?: AbortSignal,
  ): Promise<N8nWorkflow[]> {
    const all: N8nWorkflow[] = [];
    let cursor = filter.cursor;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.listWorkflowsPage({ ...filter, cursor }, signal);
      all.push(...res.data);
      if (!res.nextCursor || res.nextCursor === cursor) break;
      cursor = res.nextCursor;
    }
    return all;
  }

  /** The workflows whose name is exactly `name`, oldest first. */
  async findByExactName(name: string, signal?: AbortSignal): Promise<N8nWorkflow[]> {
    const candidates = await this.listWorkflows({ name }, signal);
    return candidates
      .filter((w) => w.name === name)
      .sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? '') || a.id.localeCompare(b.id));
  }

  async createWorkflow(input: CreateWorkflowInput, signal?: AbortSignal): Promise<N8nWorkflow> {
    const body: CreateWorkflowInput = {
      name: input.name,
      nodes: input.nodes,
      connections: input.connections,
      settings: input.settings,
    };
    return (
      await this.http.request<N8nWorkflow>({
        operation: 'createWorkflow',
        method: 'POST',
        path: '/workflows',
        body,
        signal,
      })
    ).data;
  }

  /** `null` when there is no such workflow. */
  async getWorkflow(id: string, signal?: AbortSignal): Promise<N8nWorkflow | null> {
    const call = this.http.request<N8nWorkflow>({
      operation: 'getWorkflow',
      method: 'GET',
      path: `/workflows/${encodeURIComponent(id)}`,
      query: { excludePinnedData: true },
      signal,
    });
    return (await nullIfNotFound(call))?.data ?? null;
  }

  /** `false` when the workflow was already gone. */
  async deleteWorkflow(id: string, signal?: AbortSignal): Promise<boolean> {
    const call = this.http.request<N8nWorkflow>({
      operation: 'deleteWorkflow',
      method: 'DELETE',
      path: `/workflows/${encodeURIComponent(id)}`,
      signal,
    });
    return (await nullIfNotFound(call)) !== null;
  }

  /** `POST /activate` (1.x and 2.x); `/publish` if this n8n no longer knows it. */
  async activate(id: string, signal?: AbortSignal): Promise<void> {
    await this.switch(id, 'activate', 'publish', signal);
  }

  /** `POST /deactivate`; `/unpublish` if this n8n no longer knows it. */
  async deactivate(id: string, signal?: AbortSignal): Promise<void> {
    await this.switch(id, 'deactivate', 'unpublish', signal);
  }

  /** POSTs to the production webhook `/webhook/<path>` (no API key) and tells the status. */
  async callWebhook(path: string, body: unknown, signal?: AbortSignal): Promise<{ status: number }> {
    const res = await this.root.request<unknown>({
      operation: 'callWebhook',
      method: 'POST',
      path: `/webhook/${encodePath(path)}`,
      body,
      signal,
      anonymous: true,
      accept: () => true,
    });
    return { status: res.status };
  }

  private async switch(id: string, action: string, fallback: string, signal?: AbortSignal): Promise<void> {
    const post = (verb: string) =>
      this.http.request<unknown>({
        operation: `${verb}Workflow`,
        method: 'POST',
        path: `/workflows/${encodeURIComponent(id)}/${verb}`,
        signal,
      });
    try {
      await post(action);
    } catch (e) {
      const missingRoute = isAppError(e) && (e.code === 'PROVIDER_NOT_FOUND' || e.details?.status === 405);
      if (!missingRoute) throw e;
      await post(fallback);
    }
  }
}
