/** A bearer token of the API and the role it grants. */
export interface ApiToken {
  role: 'admin' | 'viewer';
  token: string;
}

/** `API_TOKENS`: comma-separated `role:token` pairs; a message naming the problem otherwise. */
export function parseApiTokens(value: string): ApiToken[] | string {
  const tokens: ApiToken[] = [];
  for (const pair of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = pair.indexOf(':');
    const role = i > 0 ? pair.slice(0, i) : '';
    const token = i > 0 ? pair.slice(i + 1) : '';
    if (role !== 'admin' && role !== 'viewer') return `"${role || pair.slice(0, 12)}…" is not a role (admin or viewer)`;
    if (token.length < 16) return `the ${role} token must be at least 16 characters`;
    tokens.push({ role, token });
  }
  if (!tokens.length) return 'no role:token pair';
  return tokens;
}
