import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signature of a completion callback, in the header `X-Provisioner-Signature:
 * t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` keyed with CALLBACK_SECRET.
 * The timestamp is signed with the body, so a receiver can refuse an old delivery replayed.
 */
export const SIGNATURE_HEADER = 'X-Provisioner-Signature';

export function signCallback(secret: string, body: string, unixSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

/** What a receiver does: the header's `v1` matches the raw body and `t` is recent. */
export function verifyCallback(
  secret: string,
  header: string | undefined,
  body: string,
  { toleranceSeconds = 300, now = Date.now() }: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  const parts = new Map((header ?? '').split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(now / 1000 - t) > toleranceSeconds || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const expected = signCallback(secret, body, t).split('v1=')[1]!;
  return timingSafeEqual(Buffer.from(v1, 'hex'), Buffer.from(expected, 'hex'));
}
