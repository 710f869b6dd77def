import type { Request, Response } from 'express';
import type { RunEvent, RunEventHub } from '../../runs/run-events.js';

const KEEPALIVE_MS = 20_000;

/**
 * Server-sent events for a console page, fed by the run event hub (Redis pub/sub from the run
 * store, BullMQ's queue events). Without `?run=` a page gets every run's changes of state (the
 * run list); with it, everything about that run (its page). The page fetches what changed.
 */
export function runEventStream(hub: RunEventHub) {
  return async (req: Request, res: Response) => {
    const runId = typeof req.query.run === 'string' ? req.query.run : undefined;
    res.status(200).set({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    const send = (event: RunEvent) => {
      if (runId ? event.runId !== runId : event.type !== 'run') return;
      res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    // When the process stops, the stream ends and the browser reconnects to whichever API answers.
    const unsubscribe = hub.subscribe(send, () => res.end());
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    keepalive.unref();
    res.on('close', () => {
      clearInterval(keepalive);
      unsubscribe();
    });
    // The page catches up when the stream opens: open it once events are really flowing.
    await hub.ready().catch(() => undefined);
    if (!res.writableEnded) res.write('retry: 2000\n\n');
  };
}
