import type { SandboxRequest } from '../framework/emulator.types.js';
import { SANDBOX_CREDENTIALS } from '../sandbox-credentials.js';

/**
 * A second personal access token of the same sandbox user, so that tests can see that all the
 * tokens of one user share its rate limits.
 */
export const SUPABASE_SECOND_TOKEN = 'sbp_sandbox_supabase_token_second';

/** The user every sandbox token belongs to. */
const SANDBOX_USER_ID = 'sandbox-user';
const TOKEN_USERS: ReadonlyMap<string, string> = new Map([
  [SANDBOX_CREDENTIALS.supabase, SANDBOX_USER_ID],
  [SUPABASE_SECOND_TOKEN, SANDBOX_USER_ID],
]);

export function bearerToken(req: SandboxRequest): string | undefined {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/** The user a request's token belongs to, undefined when the token is missing or unknown. */
export const userOf = (req: SandboxRequest): string | undefined => {
  const token = bearerToken(req);
  return token === undefined ? undefined : TOKEN_USERS.get(token);
};
