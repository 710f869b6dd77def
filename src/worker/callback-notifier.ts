import type { Logger } from '../shared/logger.js';
import type { OutboundPolicy } from '../shared/outbound.js';
import type { RunStore } from '../runs/run-store.js';

/**
 * Tells the requester's `callbackUrl` that a run reached a final state: best effort,
 * bounded, with the run's id, state and error only (nothing secret, no resources).
 * Sent through the outbound policy: never to an internal address, checked again at
 * connect time, redirects not followed.
 */
export function createCallbackNotifier(store: RunStore, logger: Logger, outbound: OutboundPolicy, timeoutMs = 5000) {
  return async (runId: string): Promise<void> => {
    const run = await store.get(runId);
    const url = run?.request.callbackUrl;
    if (!run || !url) return;
    const res = await outbound.send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ runId, clientId: run.clientId, state: run.state, error: run.error ?? null }),
      timeoutMs,
    });
    logger.info({ runId, status: res.status }, 'callback sent');
  };
}
