import { pino } from 'pino';
import type { EmulatorFactory } from '../../src/sandbox/framework/emulator.types.js';
import type { FaultRule } from '../../src/sandbox/framework/faults.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/framework/sandbox-server.js';
import type { LimitOverrides } from '../../src/sandbox/sandbox-limits.js';
import type { SandboxProfile } from '../../src/sandbox/sandbox-profiles.js';

export type Json = any;

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else the text. */
  body: Json;
  text: string;
}

/** One emulator in an in-process sandbox on a free loopback port. */
export function startEmulator(
  factory: EmulatorFactory,
  options: { rateLimits?: boolean; timeScale?: number; limits?: LimitOverrides; profile?: SandboxProfile } = {},
): Promise<RunningSandbox> {
  return startSandbox({
    port: 0,
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    timeScale: options.timeScale ?? 0.01,
    rateLimits: options.rateLimits ?? false,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    logger: pino({ level: 'silent' }),
    emulators: [factory],
  });
}

export interface CallOptions {
  headers?: Record<string, string>;
  /** Sent as JSON (with a JSON Content-Type) unless it is a string or bytes. */
  body?: unknown;
}

/** A caller bound to a base URL and default headers (the credential). */
export function caller(base: string, defaults: Record<string, string> = {}) {
  return async (method: string, path: string, options: CallOptions = {}): Promise<HttpAnswer> => {
    const headers: Record<string, string> = { ...defaults, ...options.headers };
    let body: string | Uint8Array | undefined;
    if (options.body instanceof Uint8Array || typeof options.body === 'string') body = options.body;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
}

export async function addFaults(sandbox: RunningSandbox, rules: FaultRule[]): Promise<void> {
  const res = await fetch(`${sandbox.url}/_sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ rules }),
  });
  if (res.status !== 201) throw new Error(`adding faults failed: ${res.status} ${await res.text()}`);
}

export async function resetSandbox(sandbox: RunningSandbox): Promise<void> {
  const res = await fetch(`${sandbox.url}/_sandbox/reset`, { method: 'POST' });
  if (res.status !== 204) throw new Error(`reset failed: ${res.status}`);
}

export async function sandboxState(sandbox: RunningSandbox): Promise<Json> {
  return (await fetch(`${sandbox.url}/_sandbox/state`)).json();
}

export async function sandboxCalls(sandbox: RunningSandbox): Promise<Json[]> {
  return (await fetch(`${sandbox.url}/_sandbox/calls`)).json() as Promise<Json[]>;
}

/** Calls `probe` until `done` holds for its answer, at most `timeoutMs`; returns every answer seen. */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 5000,
  intervalMs = 5,
): Promise<T[]> {
  const seen: T[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    seen.push(v);
    if (done(v)) return seen;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
