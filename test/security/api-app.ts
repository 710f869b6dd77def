/**
 * The API alone, in this process, on loopback: for the security tests, which configure it as an
 * operator would (PROVIDERS=live, hashed tokens, write limits) and hand it a DNS resolver that
 * never leaves the machine. Requests go through node:http, so any method, path or header can be sent.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RunEventHub } from '../../src/runs/run-events.js';
import { createApp } from '../../src/api/app.js';
import { answerMalformedRequests } from '../../src/api/client-errors.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createQueues, type Queues } from '../../src/runs/queues.js';
import { RunStore } from '../../src/runs/run-store.js';
import type { Resolver } from '../../src/shared/outbound.js';
import { deleteKeys, REDIS_URL } from '../support/harness.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: any;
}

export interface RequestOptions {
  /** A bearer token; `null` for none. Default: the admin token. */
  token?: string | null;
  headers?: Record<string, string>;
  /** JSON-encoded unless a string or a Buffer. */
  body?: unknown;
}

export interface ApiApp {
  url: string;
  prefix: string;
  config: Config;
  queues: Queues;
  redis: Redis;
  tokens: { admin: string; viewer: string };
  /** Every log line of the API, parsed. */
  logs: any[];
  request(method: string, path: string, options?: RequestOptions): Promise<Answer>;
  /** Keys of step jobs and run records under this app's prefix. */
  enqueued(): Promise<{ jobs: number; runs: number }>;
  close(): Promise<void>;
}

export async function startApiApp(
  env: Record<string, string> = {},
  options: { resolver?: Resolver; prefix?: string; tokens?: { admin: string; viewer: string } } = {},
): Promise<ApiApp> {
  const tokens = options.tokens ?? {
    admin: randomBytes(18).toString('base64url'),
    viewer: randomBytes(18).toString('base64url'),
  };
  const prefix = options.prefix ?? `s${randomUUID().slice(0, 8)}`;
  const config = loadConfig(
    { roles: ['api'] },
    {
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      PORT: '0',
      API_TOKENS: `admin:ops:${tokens.admin},viewer:board:${tokens.viewer}`,
      ...env,
    },
  );
  const logs: any[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const queues = createQueues(config.redisUrl, config.queuePrefix);
  const store = new RunStore(queues.connection, config.queuePrefix);
  const events = new RunEventHub(config.redisUrl, config.queuePrefix);
  const app = createApp({
    config,
    queues,
    store,
    logger,
    events,
    ...(options.resolver ? { resolver: options.resolver } : {}),
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  answerMalformedRequests(server);
  const { port } = server.address() as AddressInfo;
  const redis = new Redis(REDIS_URL);

  const request: ApiApp['request'] = (method, path, opts = {}) => {
    const token = opts.token === undefined ? tokens.admin : opts.token;
    const payload =
      opts.body === undefined
        ? undefined
        : Buffer.isBuffer(opts.body) || typeof opts.body === 'string'
          ? opts.body
          : JSON.stringify(opts.body);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          headers: {
            ...(payload !== undefined && typeof opts.body === 'object' && !Buffer.isBuffer(opts.body)
              ? { 'content-type': 'application/json' }
              : {}),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...opts.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              // HTML or text
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      // A request the server never answers is a finding of its own.
      req.setTimeout(10_000, () => req.destroy(new Error(`no answer to ${method} ${path.slice(0, 200)} in 10 s`)));
      req.end(payload);
    });
  };

  return {
    url: `http://127.0.0.1:${port}`,
    prefix,
    config,
    queues,
    redis,
    tokens,
    logs,
    request,
    async enqueued() {
      const jobs = (await redis.keys(`${prefix}:provision:*`)).filter((k) => /-g\d+-\w+$/.test(k)).length;
      const runs = (await redis.keys(`${prefix}:run:*`)).length;
      return { jobs, runs };
    },
    async close() {
      await events.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await queues.close();
      await deleteKeys(redis, prefix);
      redis.disconnect();
    },
  };
}
