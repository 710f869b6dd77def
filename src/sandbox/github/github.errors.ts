import type { SandboxResponse } from '../framework/emulator.types.js';

export const DOCS_URL = 'https://docs.github.com/rest';

/** GitHub's `basic-error`: `{message, documentation_url, status}` (status as a string). */
export function basicError(
  status: number,
  message: string,
  headers?: Record<string, string>,
  docs = DOCS_URL,
): SandboxResponse {
  return {
    status,
    body: { message, documentation_url: docs, status: String(status) },
    ...(headers ? { headers } : {}),
  };
}

export const notFound = (): SandboxResponse => basicError(404, 'Not Found');

/** A 422 for a missing or malformed request field, the way GitHub words it. */
export const invalidRequest = (detail: string): SandboxResponse => basicError(422, `Invalid request.\n\n${detail}`);

export interface ValidationItem {
  resource: string;
  code: string;
  field?: string;
  message?: string;
}

/** GitHub's `validation-error`: a 422 with `errors[]`. */
export function validationError(message: string, errors: ValidationItem[]): SandboxResponse {
  return { status: 422, body: { message, errors, documentation_url: DOCS_URL, status: '422' } };
}

/** The answer to a repository name that is already used by the owner. */
export const nameTaken = (): SandboxResponse =>
  validationError('Repository creation failed.', [
    { resource: 'Repository', code: 'custom', field: 'name', message: 'name already exists on this account' },
  ]);

/** A repository generated from a template answers this on its contents until the copy is done. */
export const repositoryEmpty = (): SandboxResponse => basicError(409, 'Git Repository is empty.');
