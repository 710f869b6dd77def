import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiSettings } from './app.js';
import type { Logger } from '../shared/logger.js';
import { assertRedisReachable } from '../shared/redis.js';
import { createQueues } from '../runs/queues.js';
import { RunEventHub } from '../runs/run-events.js';
import { RunStore } from '../runs/run-store.js';
import { createApp } from './app.js';
import { answerMalformedRequests } from './client-errors.js';

export interface ApiServer {
  url: string;
  close(): Promise<void>;
}

export async function startApi(config: ApiSettings, logger: Logger, host = '0.0.0.0'): Promise<ApiServer> {
  await assertRedisReachable(config);
  const queues = createQueues(config, config.queuePrefix, config.jobRetention);
  const store = new RunStore(queues.connection, config.queuePrefix);
  const events = new RunEventHub(config, config.queuePrefix);
  const app = createApp({ config, queues, store, logger, events });
  const server: Server = await new Promise((resolve, reject) => {
    // Express 5 calls back with the error too (EADDRINUSE), not only on success.
    const s = app.listen(config.port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  answerMalformedRequests(server);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await events.close(); // ends the console's event streams, which would keep the server open
      server.closeIdleConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await queues.close();
    },
  };
}
