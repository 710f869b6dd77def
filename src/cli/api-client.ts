import type { Accepted, ActionAccepted, ErrorBody, RunList } from '../api/api.schemas.js';
import type { RunView } from '../runs/run-view.schema.js';
import type { ProvisionRequest } from '../shared/provision-request.js';

/**
 * The CLI's only way to the product: the HTTP API, with a bearer token. Answers are typed by
 * the API's own schemas (types only: nothing of the server runs here).
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  provision(request: ProvisionRequest): Promise<Accepted> {
    return this.call('POST', '/api/provisioning', request);
  }
  run(runId: string): Promise<RunView> {
    return this.call('GET', `/api/provisioning/${encodeURIComponent(runId)}`);
  }
  list(query: { clientId?: string; limit?: number }): Promise<RunList> {
    const q = new URLSearchParams();
    if (query.clientId) q.set('clientId', query.clientId);
    if (query.limit) q.set('limit', String(query.limit));
    return this.call('GET', `/api/provisioning${q.size ? `?${q.toString()}` : ''}`);
  }
  act(runId: string, action: 'retry' | 'rollback'): Promise<ActionAccepted> {
    return this.call('POST', `/api/provisioning/${encodeURIComponent(runId)}/${action}`);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.baseUrl.replace(/\/+$/, '')}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e as Error).message;
      throw new ApiError(`cannot reach the API at ${this.baseUrl} (${why}); set PROVISIONER_API_URL or --api`, 0);
    }
    const json = parseJson(await res.text());
    if (res.ok) return json as T;
    const error = (json as ErrorBody | undefined)?.error;
    const hint = res.status === 401 ? ' (set PROVISIONER_TOKEN or --token)' : '';
    throw new ApiError(`${error?.message ?? `HTTP ${res.status}`}${hint}`, res.status, error?.code);
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined; // not the API (a proxy's page): the status says enough
  }
}
