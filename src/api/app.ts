import express, { type Express } from 'express';
import { AppError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { ProviderMode } from '../shared/providers.js';
import type { RedisEndpoints } from '../shared/redis.js';
import type { FlowOptions } from '../runs/flow-builder.js';
import type { JobRetention } from '../runs/queues.js';
import type { Queues } from '../runs/queues.js';
import type { RunEventHub } from '../runs/run-events.js';
import type { RunStore } from '../runs/run-store.js';
import { createOutboundPolicy, type OutboundSettings, type Resolver } from '../shared/outbound.js';
import { apiDocsRoutes } from './api-docs.routes.js';
import type { ApiToken } from './api-tokens.js';
import { auditLog } from './audit-log.js';
import { createAuthenticator, requireAuth } from './auth.js';
import { CONSOLE_PATH } from './console/console-paths.js';
import { consoleRoutes } from './console/console.routes.js';
import { dashboard, DASHBOARD_PATH } from './dashboard.js';
import { errorHandler } from './error-handler.js';
import { metricsRoutes } from './metrics.routes.js';
import { provisioningRoutes } from './provisioning.routes.js';
import { localResourcesOnly, staticAssetsOnly } from './dashboard-guards.js';
import { dashboardContentSecurityPolicy, securityHeaders } from './security-headers.js';
import { writeLimit, type WriteLimitSettings } from './write-limit.js';

/** What the API needs of the configuration. */
export interface ApiSettings extends RedisEndpoints {
  port: number;
  queuePrefix: string;
  providersMode: ProviderMode;
  apiTokens: ApiToken[];
  /** METRICS_TOKEN: opens /metrics only, for a scraper. */
  metricsToken?: string;
  /** How step jobs are enqueued (a retry from the API builds a flow too). */
  worker: FlowOptions;
  /** Writes per token and window (default 30 a minute). */
  writeLimit?: WriteLimitSettings;
  /** Where a `callbackUrl` may point (default: loopback in sandbox mode, no allow-lists). */
  callbacks?: OutboundSettings;
  /** When finished jobs are removed (default: kept). */
  jobRetention?: JobRetention;
}

export interface AppDeps {
  config: ApiSettings;
  queues: Queues;
  store: RunStore;
  logger: Logger;
  /** Live run changes for the console's pages. */
  events: RunEventHub;
  /** How callback host names are resolved (tests: without DNS). */
  resolver?: Resolver;
}

export function createApp({ config, queues, store, logger, events, resolver }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(securityHeaders());
  const authenticate = createAuthenticator(config.apiTokens);
  // Who did what (the token's name), and how fast a token may write, for every authenticated route.
  const guards = [auditLog(logger), writeLimit(queues.connection, config.queuePrefix, config.writeLimit)];
  const callbacks = createOutboundPolicy(
    config.callbacks ?? {
      allowLoopback: config.providersMode === 'sandbox',
      allowedHosts: [],
      allowedNetworks: [],
    },
    resolver,
  );

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
  app.use(
    DASHBOARD_PATH,
    dashboardContentSecurityPolicy(),
    requireAuth(authenticate, 'client-provisioner dashboard'),
    ...guards,
    staticAssetsOnly,
    localResourcesOnly,
    dashboard(queues),
  );
  app.use(
    CONSOLE_PATH,
    consoleRoutes({ store, queues, flow: config.worker, tokens: config.apiTokens, events, logger }),
  );

  app.use(apiDocsRoutes({ allowLoopbackCallbacks: config.providersMode === 'sandbox' }));
  app.use(
    '/api',
    requireAuth(authenticate),
    ...guards,
    express.json({ limit: '16kb', strict: true, type: ['application/json', 'application/*+json'] }),
  );
  app.use(
    '/api/provisioning',
    provisioningRoutes({
      store,
      queues,
      flow: { stepAttempts: config.worker.stepAttempts, stepBackoffMs: config.worker.stepBackoffMs },
      allowLoopbackCallbacks: config.providersMode === 'sandbox',
      callbacks,
    }),
  );
  app.use((_req, _res, next) => next(new AppError('NOT_FOUND', 'no such route')));
  app.use(errorHandler(logger));
  return app;
}
