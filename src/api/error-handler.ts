import type { NextFunction, Request, Response } from 'express';
import { ZodError } from 'zod';
import { isAppError, type ErrorCode } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { isRedisUnavailable } from '../shared/redis.js';
import type { ErrorBody } from './api.schemas.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  CLIENT_ALREADY_PROVISIONED: 409,
  CLIENT_NEEDS_ATTENTION: 409,
  INVALID_STATE: 409,
  PAYLOAD_TOO_LARGE: 413,
  READ_ONLY: 405,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
};

/** The API's one error funnel: every error leaves as `{error: {code, message, details?}}`. */
export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, code, message, details } = classify(err);
    if (status >= 500) logger.error({ err, method: req.method, path: req.path }, 'request failed');
    if (res.headersSent) return;
    res.status(status).json({ error: { code, message, ...(details ? { details } : {}) } } satisfies ErrorBody);
  };
}

/** The HTTP status, code and message of an error (also used by the run console's HTML pages). */
export function classify(err: unknown): {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
} {
  if (err instanceof ZodError) {
    const fields = err.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
    return {
      status: 400,
      code: 'VALIDATION_FAILED',
      message: fields.map((f) => `${f.field}: ${f.message}`).join('; '),
      details: { fields },
    };
  }
  if (isAppError(err))
    return {
      status: STATUS[err.code] ?? 500,
      code: err.code,
      message: err.message,
      ...(err.details ? { details: err.details } : {}),
    };
  const e = err as { type?: string; status?: number } | undefined;
  if (e?.type === 'entity.too.large')
    return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'the body is over 16 KiB' };
  if (e?.type === 'entity.parse.failed')
    return { status: 400, code: 'VALIDATION_FAILED', message: 'the body is not valid JSON' };
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported')
    return { status: 415, code: 'VALIDATION_FAILED', message: 'unsupported body encoding' };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500)
    return { status: e.status, code: 'VALIDATION_FAILED', message: 'bad request' };
  if (isRedisUnavailable(err))
    return { status: 503, code: 'SERVICE_UNAVAILABLE', message: 'Redis is not reachable right now; try again shortly' };
  return { status: 500, code: 'INTERNAL', message: 'internal error' };
}
