/**
 * The one place a completion callback leaves the process: a POST of the signed body, no
 * redirects followed, bounded in time. Plain `fetch` today; the outbound guard (SSRF checks on
 * where it connects) replaces it here and nowhere else.
 */
export interface Delivery {
  /** The receiver's status, or 0 with `error` when it did not answer. */
  status: number;
  error?: string;
}

export async function deliverCallback(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<Delivery> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return { status: res.status };
  } catch (e) {
    return { status: 0, error: transportError(e, timeoutMs) };
  }
}

/** Why nothing answered, in words, without the URL (it may carry a receiver's token). */
function transportError(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; cause?: { code?: string; message?: string } } | undefined;
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = err?.cause?.code ?? err?.cause?.message;
  if (cause) return `the receiver could not be reached (${cause})`;
  return 'the receiver could not be reached';
}
