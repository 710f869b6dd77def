import { SANDBOX_CREDENTIALS } from '../sandbox-credentials.js';
import type { SandboxRequest } from '../framework/emulator.types.js';

/**
 * A second documented sandbox token: a classic PAT with `repo` but without `delete_repo`,
 * so that tests can see GitHub's 403 on a repository delete.
 */
export const GITHUB_TOKEN_NO_DELETE = 'ghp_sandbox_github_token_no_delete';

/** The classic-token scopes each sandbox token holds (GitHub answers them in `x-oauth-scopes`). */
const TOKEN_SCOPES: ReadonlyMap<string, readonly string[]> = new Map([
  [SANDBOX_CREDENTIALS.github, ['repo', 'delete_repo']],
  [GITHUB_TOKEN_NO_DELETE, ['repo']],
]);

/** The user every sandbox token belongs to. */
export const SANDBOX_USER = { login: 'sandbox-bot', id: 90_000_001 } as const;

/** `Authorization: Bearer <t>` or `Authorization: token <t>`; undefined when absent or malformed. */
export function presentedToken(req: SandboxRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** The scopes of a known token, undefined for an unknown one. */
export function tokenScopes(token: string | undefined): readonly string[] | undefined {
  return token === undefined ? undefined : TOKEN_SCOPES.get(token);
}
