import express, { type Express } from 'express';
import { AppError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { ProviderMode } from '../shared/providers.js';
import type { FlowOptions } from '../runs/flow-builder.js';
import type { Queues } from '../runs/queues.js';
import type { RunStore } from '../runs/run-store.js';
import { apiDocsRoutes } from './api-docs.routes.js';
import type { ApiToken } from './api-tokens.js';
import { createAuthenticator, requireAuth } from './auth.js';
import { dashboard, DASHBOARD_PATH } from './dashboard.js';
import { errorHandler } from './error-handler.js';
import { metricsRoutes } from './metrics.routes.js';
import { provisioningRoutes } from './provisioning.routes.js';

/** What the API needs of the configuration. */
export interface ApiSettings {
  port: number;
  redisUrl: string;
  queuePrefix: string;
  providersMode: ProviderMode;
  apiTokens: ApiToken[];
  /** METRICS_TOKEN: opens /metrics only, for a scraper. */
  metricsToken?: string;
  /** How step jobs are enqueued (a retry from the API builds a flow too). */
  worker: FlowOptions;
}

export interface AppDeps {
  config: ApiSettings;
  queues: Queues;
  store: RunStore;
  logger: Logger;
}

export function createApp({ config, queues, store, logger }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const authenticate = createAuthenticator(config.apiTokens);

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', async (_req, res) => {
    const ok = await Promise.race([
      queues.connection.ping().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((r) => setTimeout(() => r(false), 1000).unref()),
    ]);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'redis unreachable' });
  });

  app.use(metricsRoutes({ authenticate, queues, metricsToken: config.metricsToken }));
  app.use(DASHBOARD_PATH, requireAuth(authenticate, 'client-provisioner dashboard'), dashboard(queues));

  app.use(apiDocsRoutes({ allowLoopbackCallbacks: config.providersMode === 'sandbox' }));
  app.use(
    '/api',
    requireAuth(authenticate),
    express.json({ limit: '16kb', strict: true, type: ['application/json', 'application/*+json'] }),
  );
  app.use(
    '/api/provisioning',
    provisioningRoutes({
      store,
      queues,
      flow: { stepAttempts: config.worker.stepAttempts, stepBackoffMs: config.worker.stepBackoffMs },
      allowLoopbackCallbacks: config.providersMode === 'sandbox',
    }),
  );
  app.use((_req, _res, next) => next(new AppError('NOT_FOUND', 'no such route')));
  app.use(errorHandler(logger));
  return app;
}
