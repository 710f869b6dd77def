import type { SandboxResponse } from '../framework/emulator.types.js';

/** Vercel's error envelope: `{error: {code, message, ...}}`. */
export function vercelError(
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): SandboxResponse {
  return { status, body: { error: { code, message, ...extra } } };
}

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'forbidden',
  402: 'payment_required',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  429: 'rate_limited',
  500: 'internal_server_error',
  502: 'bad_gateway',
  503: 'service_unavailable',
};

/** The envelope for a bare status (faults and unknown routes). */
export const errorFor = (status: number, message: string): SandboxResponse =>
  vercelError(status, CODES[status] ?? 'internal_server_error', message);

export const badRequest = (message: string): SandboxResponse => vercelError(400, 'bad_request', message);
export const projectNotFound = (): SandboxResponse => vercelError(404, 'not_found', 'Project not found');
