import type { SupabaseConfig } from './provider-config.js';
import { HttpClient } from './http.client.js';
import { nullIfNotFound } from './provider-errors.js';
import { budgetIdentity, type RateBudget } from './rate-budget.js';

/** Supabase Management API (`Authorization: Bearer`), the operations the supabase step calls. */

export type ProjectStatus =
  | 'INACTIVE'
  | 'ACTIVE_HEALTHY'
  | 'ACTIVE_UNHEALTHY'
  | 'COMING_UP'
  | 'UNKNOWN'
  | 'GOING_DOWN'
  | 'INIT_FAILED'
  | 'REMOVED'
  | 'RESTORING'
  | 'UPGRADING'
  | 'PAUSING'
  | 'RESTORE_FAILED'
  | 'RESTARTING'
  | 'PAUSE_FAILED'
  | 'RESIZING';

/** `V1ProjectResponse`: what create answers. */
export interface V1ProjectResponse {
  ref: string;
  name: string;
  organization_slug: string;
  region: string;
  created_at: string;
  status: ProjectStatus;
}

/** `V1ProjectWithDatabaseResponse`: what get and list answer. */
export interface V1ProjectWithDatabaseResponse extends V1ProjectResponse {
  database?: { host: string; version: string };
}

/** `ApiKeyResponse` (with `?reveal=true` the secret keys come back whole). */
export interface ApiKeyResponse {
  name: string;
  api_key?: string | null;
  type?: 'legacy' | 'publishable' | 'secret' | null;
}

/** `SupavisorConfigResponse`: how to reach the project's Postgres through the pooler. */
export interface SupavisorConfigResponse {
  database_type: 'PRIMARY' | 'READ_REPLICA';
  db_user: string;
  db_host: string;
  db_port: number;
  db_name: string;
  pool_mode: 'transaction' | 'session';
}

/** `V1ProjectRefResponse`: what delete answers. */
export interface V1ProjectRefResponse {
  id: number;
  ref: string;
  name: string;
}

export interface CreateProjectInput {
  name: string;
  organization_slug: string;
  region: string;
  db_pass: string;
}

export class SupabaseClient {
  private readonly http: HttpClient;

  constructor(config: SupabaseConfig, timeoutMs: number, budget?: RateBudget) {
    this.http = new HttpClient({
      provider: 'supabase',
      label: 'Supabase',
      credential: 'SUPABASE_MANAGEMENT_TOKEN',
      secrets: [config.token],
      baseUrl: config.baseUrl,
      headers: { authorization: `Bearer ${config.token}` },
      timeoutMs,
      ...(budget ? { budget, budgetIdentity: budgetIdentity(config.token) } : {}),
    });
  }

  async listProjects(signal?: AbortSignal): Promise<V1ProjectWithDatabaseResponse[]> {
    const res = await this.http.request<V1ProjectWithDatabaseResponse[]>({
      operation: 'listProjects',
      method: 'GET',
      path: '/v1/projects',
      signal,
    });
    return res.data;
  }

  /** `region` goes in `region_selection` (the contract deprecates the bare `region`). */
  async createProject(input: CreateProjectInput, signal?: AbortSignal): Promise<V1ProjectResponse> {
    const body = {
      name: input.name,
      organization_slug: input.organization_slug,
      db_pass: input.db_pass,
      region_selection: { type: 'specific', code: input.region },
    };
    const res = await this.http.request<V1ProjectResponse>({
      operation: 'createProject',
      method: 'POST',
      path: '/v1/projects',
      scope: `org:${input.organization_slug}`,
      body,
      signal,
    });
    return res.data;
  }

  /** `null` when there is no such project. */
  async getProject(ref: string, signal?: AbortSignal): Promise<V1ProjectWithDatabaseResponse | null> {
    const call = this.http.request<V1ProjectWithDatabaseResponse>({
      operation: 'getProject',
      method: 'GET',
      path: `/v1/projects/${encodeURIComponent(ref)}`,
      scope: `project:${ref}`,
      signal,
    });
    return (await nullIfNotFound(call))?.data ?? null;
  }

  /** `false` when there was no such project. */
  async deleteProject(ref: string, signal?: AbortSignal): Promise<boolean> {
    const call = this.http.request<V1ProjectRefResponse>({
      operation: 'deleteProject',
      method: 'DELETE',
      path: `/v1/projects/${encodeURIComponent(ref)}`,
      scope: `project:${ref}`,
      signal,
    });
    return (await nullIfNotFound(call)) !== null;
  }

  async getApiKeys(ref: string, signal?: AbortSignal): Promise<ApiKeyResponse[]> {
    const res = await this.http.request<ApiKeyResponse[]>({
      operation: 'getApiKeys',
      method: 'GET',
      path: `/v1/projects/${encodeURIComponent(ref)}/api-keys`,
      scope: `project:${ref}`,
      query: { reveal: true },
      signal,
    });
    return res.data;
  }

  async getPoolerConfig(ref: string, signal?: AbortSignal): Promise<SupavisorConfigResponse[]> {
    const res = await this.http.request<SupavisorConfigResponse[]>({
      operation: 'getPoolerConfig',
      method: 'GET',
      path: `/v1/projects/${encodeURIComponent(ref)}/config/database/pooler`,
      scope: `project:${ref}`,
      signal,
    });
    return res.data;
  }
}
