import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';

/** One project's keys: legacy JWTs signed with the project's own JWT secret, and the new-style pair. */
export interface ProjectKeys {
  jwtSecret: string;
  anon: string;
  serviceRole: string;
  publishable: string;
  secret: string;
  secretId: string;
  publishableId: string;
  insertedAt: string;
}

const TEN_YEARS_S = 10 * 365 * 24 * 3600;

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

function signJwt(payload: Record<string, unknown>, secret: string): string {
  const head = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

export function makeProjectKeys(ref: string, nowMs: number): ProjectKeys {
  const jwtSecret = randomBytes(40).toString('base64');
  const iat = Math.floor(nowMs / 1000);
  const legacy = (role: string) => signJwt({ iss: 'supabase', ref, role, iat, exp: iat + TEN_YEARS_S }, jwtSecret);
  return {
    jwtSecret,
    anon: legacy('anon'),
    serviceRole: legacy('service_role'),
    publishable: `sb_publishable_${randomBytes(18).toString('base64url')}`,
    secret: `sb_secret_${randomBytes(24).toString('base64url')}`,
    publishableId: randomUUID(),
    secretId: randomUUID(),
    insertedAt: new Date(nowMs).toISOString(),
  };
}

/**
 * `ApiKeyResponse[]` as Supabase answers it: the legacy `anon` and `service_role` JWTs in full,
 * and the new-style publishable and secret keys; the secret key is masked unless `reveal=true`.
 */
export function apiKeysView(keys: ProjectKeys, reveal: boolean): Record<string, unknown>[] {
  const legacy = (name: string, apiKey: string, description: string) => ({
    name,
    api_key: apiKey,
    id: name,
    type: 'legacy',
    prefix: null,
    description,
    hash: null,
    secret_jwt_template: null,
    inserted_at: null,
    updated_at: null,
  });
  const secretPrefix = keys.secret.slice(0, 'sb_secret_'.length + 4);
  return [
    legacy('anon', keys.anon, 'Legacy anon API key'),
    legacy('service_role', keys.serviceRole, 'Legacy service_role API key'),
    {
      name: 'default',
      api_key: keys.publishable,
      id: keys.publishableId,
      type: 'publishable',
      prefix: null,
      description: null,
      hash: null,
      secret_jwt_template: null,
      inserted_at: keys.insertedAt,
      updated_at: keys.insertedAt,
    },
    {
      name: 'default',
      api_key: reveal ? keys.secret : `${secretPrefix}${'·'.repeat(16)}`,
      id: keys.secretId,
      type: 'secret',
      prefix: secretPrefix,
      description: null,
      hash: createHash('sha256').update(keys.secret).digest('base64'),
      secret_jwt_template: { role: 'service_role' },
      inserted_at: keys.insertedAt,
      updated_at: keys.insertedAt,
    },
  ];
}
