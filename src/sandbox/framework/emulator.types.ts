import type { IncomingHttpHeaders } from 'node:http';
import type { ProviderName } from '../../shared/providers.js';
import type { SandboxLimits } from '../sandbox-limits.js';
import type { DelayRange, ProfileDelays, SandboxProfile } from '../sandbox-profiles.js';
import type { SandboxWorld } from './sandbox-world.js';

export interface SandboxRequest {
  method: string;
  /** The path after the provider prefix, as the official API sees it. */
  path: string;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  headers: IncomingHttpHeaders;
  /** The caller's address (what limits without a credential count against). */
  ip: string;
  /** Parsed JSON body, or undefined. */
  body: unknown;
}

export interface SandboxResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>;

export interface OperationDef {
  /** The official operationId from ../shared/contracts (or a documented stand-in for undocumented routes). */
  operationId: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Express 5 path after the provider prefix, e.g. `/v1/projects/:ref`, `/repos/:owner/:repo/contents/*path`. */
  path: string;
  /** Base latency in ms before time scaling; a range is drawn from on each call. */
  latencyMs?: number | DelayRange;
  /** Routes that skip the provider's auth check (an n8n production webhook). */
  public?: boolean;
  handler: Handler;
}

/** Helpers the framework gives each emulator. */
export interface EmulatorRuntime {
  /** Milliseconds scaled by SANDBOX_TIME_SCALE. */
  scale(ms: number): number;
  now(): number;
  /** Whether provider rate limits are enforced (on in benchmarks and chaos runs). */
  rateLimits: boolean;
  /** The limits in force when they are: the documented ones, with the sandbox's overrides. */
  limits: SandboxLimits;
  profile: SandboxProfile;
  /** A delay of the profile, drawn from its range and scaled. */
  delay(name: keyof ProfileDelays): number;
  /** A fault rule may ask an emulator for behaviour of its own (INIT_FAILED, deployment ERROR). */
  takeFault(provider: ProviderName, operationId: string, fault: string): boolean;
}

export interface ProviderEmulator {
  name: ProviderName;
  /** URL prefix, e.g. `/supabase`. */
  prefix: string;
  operations: OperationDef[];
  /** Undefined when the credential is right; otherwise the provider's own 401 answer. */
  authenticate(req: SandboxRequest): SandboxResponse | undefined;
  /** The provider's error envelope for a status (used for faults and unknown routes). */
  errorResponse(status: number, message: string): SandboxResponse;
  /** The provider's answer to a body that is not JSON. */
  malformedBody?(): SandboxResponse;
  /**
   * Asked once per request, before the credential is checked: counts it against the provider's
   * rate limits, gives the headers those add to the answer, and the provider's own refusal when
   * the request is over one.
   */
  rateLimit?(req: SandboxRequest, operationId: string): RateLimitVerdict | undefined;
  /** Headers added to every answer (GitHub's x-github-api-version-selected). */
  commonHeaders?(req: SandboxRequest): Record<string, string>;
  state(): unknown;
  /** Clears the emulator's world (its collections, and what lives outside them: project databases). */
  reset(): Promise<void>;
  /** Called once a stored world is loaded: finishes what a restart interrupted (a project's database). */
  restored?(): Promise<void>;
  close?(): Promise<void>;
}

export interface RateLimitVerdict {
  /** Headers for the answer, whatever it turns out to be (Supabase's X-RateLimit-*, GitHub's x-ratelimit-*). */
  headers?: Record<string, string>;
  /** Over a limit: the provider's answer, and the name of the limit (logged in `/_sandbox/calls`). */
  refused?: { rule: string; response: SandboxResponse };
  /** Called once the answer is sent or the connection closes (a limit on requests in flight). */
  release?: () => void;
}

export interface EmulatorDeps {
  runtime: EmulatorRuntime;
  /** The Postgres server sandbox Supabase projects live on. */
  databaseUrl: string;
  /** The sandbox's own base URL, e.g. http://127.0.0.1:4010 (for URLs the emulators hand out). */
  publicUrl: string;
  /** Where each store keeps its resources: collections written through before every answer. */
  world: SandboxWorld;
}

export type EmulatorFactory = (deps: EmulatorDeps) => ProviderEmulator;
