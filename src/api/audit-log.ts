import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../shared/logger.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * One log line per authenticated request once it is answered, naming the token it was made
 * with: writes (every action) at `info`, reads at `debug`. The path without its query.
 */
export function auditLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    res.once('finish', () => {
      const line = {
        actor: req.actor,
        role: req.role,
        method: req.method,
        path: req.originalUrl.split('?')[0]!.slice(0, 200),
        status: res.statusCode,
      };
      if (READS.has(req.method)) logger.debug(line, 'api read');
      else logger.info(line, 'api action');
    });
    next();
  };
}
