import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Router } from 'express';
import { ganttCss } from './timeline.js';

const TYPES: Record<string, string> = {
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
};

/**
 * The console's own files, served from this origin (a `default-src 'self'` policy allows them;
 * nothing is fetched from elsewhere): read once at start from `assets/` beside this module
 * (`npm run build` copies them), plus the Gantt chart's generated stylesheet.
 */
export function consoleAssets(): Router {
  const read = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url));
  const files = new Map<string, Buffer>([
    ['console.css', read('console.css')],
    ['console.js', read('console.js')],
    ['icon.svg', read('icon.svg')],
    ['gantt.css', Buffer.from(ganttCss())],
  ]);
  const router = Router();
  router.get('/:name', (req, res, next) => {
    const body = files.get(String(req.params.name));
    if (!body) return next();
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
    res.set({
      'content-type': TYPES[String(req.params.name).split('.').pop()!]!,
      'cache-control': 'no-cache',
      etag,
      'x-content-type-options': 'nosniff',
    });
    if (req.get('if-none-match') === etag) return void res.status(304).end();
    res.send(body);
  });
  return router;
}
