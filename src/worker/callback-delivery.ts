import { isAppError } from '../shared/errors.js';
import type { OutboundPolicy } from '../shared/outbound.js';

/**
 * The one place a completion callback leaves the process: a POST of the signed body through the
 * outbound policy (never to an internal address, the resolved address checked again and dialled,
 * no redirects followed), bounded in time.
 */
export interface Delivery {
  /** The receiver's status, or 0 with `error` when it did not answer. */
  status: number;
  error?: string;
  /** The policy refused the address: trying again cannot help. */
  refused?: boolean;
}

export async function deliverCallback(
  outbound: OutboundPolicy,
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<Delivery> {
  try {
    const res = await outbound.send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      timeoutMs,
    });
    return { status: res.status };
  } catch (e) {
    if (isAppError(e) && e.code === 'OUTBOUND_REFUSED') return { status: 0, error: e.message, refused: true };
    return { status: 0, error: transportError(e, timeoutMs) };
  }
}

/** Why nothing answered, in words, without the URL (it may carry a receiver's token). */
function transportError(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; code?: string; cause?: { code?: string; message?: string } } | undefined;
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError' || err?.code === 'PROVIDER_TIMEOUT')
    return `no answer within ${timeoutMs} ms`;
  const cause = err?.cause?.code ?? err?.cause?.message;
  if (cause) return `the receiver could not be reached (${cause})`;
  return 'the receiver could not be reached';
}
