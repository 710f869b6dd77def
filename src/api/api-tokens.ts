import { createHash } from 'node:crypto';

/**
 * A bearer token of the API: the role it grants, the name that every action taken with it
 * is recorded under, and the SHA-256 of the token (the token itself need not be known).
 */
export interface ApiToken {
  role: 'admin' | 'viewer';
  name: string;
  /** SHA-256 of the token, hex. */
  sha256: string;
  /** The token in clear, when it was given or made in clear (npm start prints a made-up one). */
  token?: string;
}

export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * `API_TOKENS`: comma-separated entries, each `role:name:token`, `role:name:sha256:<64 hex>`,
 * or the older `role:token` (named `<role>-<n>`, counting that role's unnamed entries from 1).
 * Returns a message naming the problem otherwise.
 */
export function parseApiTokens(value: string): ApiToken[] | string {
  const tokens: ApiToken[] = [];
  const counts = { admin: 0, viewer: 0 };
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const [i, entry] of entries.entries()) {
    const [role, ...rest] = entry.split(':');
    if (role !== 'admin' && role !== 'viewer') return `entry ${i + 1}: "${(role ?? '').slice(0, 12)}" is not a role`;
    let name: string;
    let sha256: string;
    let token: string | undefined;
    if (rest.length === 1) {
      counts[role] += 1;
      name = `${role}-${counts[role]}`;
      token = rest[0]!;
    } else if (rest.length === 2) {
      name = rest[0]!;
      token = rest[1]!;
    } else if (rest.length === 3 && rest[1] === 'sha256') {
      name = rest[0]!;
      if (!/^[0-9a-fA-F]{64}$/.test(rest[2]!)) return `entry ${i + 1} (${name}): sha256 must be 64 hex characters`;
      sha256 = rest[2]!.toLowerCase();
    } else {
      return `entry ${i + 1}: expected role:name:token or role:name:sha256:<hex> (a token has no ":")`;
    }
    if (!NAME.test(name)) return `entry ${i + 1}: "${name.slice(0, 64)}" is not a name (letters, digits, . _ -)`;
    if (token !== undefined) {
      if (token.length < 16) return `entry ${i + 1} (${name}): the token must be at least 16 characters`;
      sha256 = hashToken(token);
    }
    if (tokens.some((t) => t.name === name)) return `entry ${i + 1}: the name ${name} is used twice`;
    if (tokens.some((t) => t.sha256 === sha256!)) return `entry ${i + 1} (${name}): the same token as another entry`;
    tokens.push({ role, name, sha256: sha256!, ...(token !== undefined ? { token } : {}) });
  }
  if (!tokens.length) return 'no token (role:name:token entries)';
  return tokens;
}
