import { recordProviderRequest } from '../shared/metrics.js';
import { badResponse, errorForStatus, errorForTransport, type ProviderIdentity } from './provider-errors.js';
import { budgetCall, type RateBudget } from './rate-budget.js';

/**
 * The small fetch wrapper under the Supabase, Vercel, n8n and Gitea clients: base URL,
 * auth header, JSON in and out, a timeout joined with the caller's signal, and every
 * failure turned into an AppError (see provider-errors.ts).
 */
import type { HttpMethod } from './http-method.js';
export type { HttpMethod };

/** What a provider's error envelope says, read by the client that knows it. */
export interface ErrorEnvelope {
  message?: string;
  authFailed?: boolean;
  retryAfterMs?: number;
}

export interface HttpClientOptions extends ProviderIdentity {
  baseUrl: string;
  /** The auth header(s); sent on every request unless it is `anonymous`. */
  headers: Record<string, string>;
  /** Query parameters sent on every request (Vercel's `teamId`). */
  query?: Record<string, string>;
  timeoutMs: number;
  readError?: (body: unknown) => ErrorEnvelope;
  /** The providers' rate budgets shared by every worker; none in tests that call a client alone. */
  budget?: RateBudget;
  /** Whose budget the credential spends (a digest of it). */
  budgetIdentity?: string;
}

export interface HttpRequest {
  /** The provider's operation, for messages: `createProject`. */
  operation: string;
  method: HttpMethod;
  /** Path after the base URL, already encoded. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  signal?: AbortSignal;
  /** Without the credential (n8n production webhooks are public). */
  anonymous?: boolean;
  /** Statuses that are an answer rather than an error (a webhook check reads any status). */
  accept?: (status: number) => boolean;
  /** The rate-limit scope the provider counts this call in (`project:<ref>`, `org:<slug>`). */
  scope?: string;
}

export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  data: T;
}

export class HttpClient {
  constructor(private readonly options: HttpClientOptions) {}

  async request<T>(req: HttpRequest): Promise<HttpResponse<T>> {
    const o = this.options;
    const url = new URL(o.baseUrl.replace(/\/+$/, '') + req.path);
    for (const [k, v] of Object.entries({ ...o.query, ...req.query }))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const call = o.budget
      ? budgetCall(o.provider, o.budgetIdentity ?? '', req.operation, req.method, req.scope)
      : undefined;
    const lease = call && !req.anonymous ? await o.budget!.acquire(call, req.signal) : undefined;
    const timeout = AbortSignal.timeout(o.timeoutMs);
    const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json', ...(req.anonymous ? {} : o.headers) };
    if (req.body !== undefined) headers['content-type'] = 'application/json';

    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method: req.method,
        headers,
        signal,
        ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
      });
      text = await res.text();
    } catch (cause) {
      recordProviderRequest(o.provider, req.operation, 'error');
      throw errorForTransport(o, req.operation, cause, o.timeoutMs);
    }
    recordProviderRequest(o.provider, req.operation, res.status);
    if (call && !req.anonymous)
      await o.budget!.observe(call, res.status, (name) => res.headers.get(name) ?? undefined, lease);
    const body = parseBody(text);
    const accepted = req.accept?.(res.status) ?? (res.status >= 200 && res.status < 300);
    if (!accepted) {
      const envelope = o.readError?.(body.json) ?? {};
      throw errorForStatus(o, {
        operation: req.operation,
        status: res.status,
        headers: res.headers,
        providerMessage: envelope.message ?? genericMessage(body),
        authFailed: envelope.authFailed,
        retryAfterMs: envelope.retryAfterMs,
      });
    }
    if (text.length > 0 && body.json === undefined && !req.accept)
      throw badResponse(o, req.operation, `a body that is not JSON (${res.status})`);
    return { status: res.status, headers: res.headers, data: body.json as T };
  }
}

function parseBody(text: string): { json: unknown; text: string } {
  if (!text) return { json: undefined, text };
  try {
    return { json: JSON.parse(text) as unknown, text };
  } catch {
    return { json: undefined, text };
  }
}

/** `{message}` (n8n, Gitea, GitHub-like) or a short plain-text body; never an HTML page. */
function genericMessage(body: { json: unknown; text: string }): string | undefined {
  const j = body.json;
  if (j && typeof j === 'object' && 'message' in j && typeof j.message === 'string') return j.message;
  if (j === undefined && body.text && !/^\s*</.test(body.text) && body.text.length < 200) return body.text;
  return undefined;
}

/** Encode each segment of a multi-segment path (`abc/n8n-workflow.json`). */
export const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');
