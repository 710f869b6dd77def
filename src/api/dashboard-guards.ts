import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../shared/errors.js';

/**
 * What the dashboard's pages may make a browser load, and what of Bull Board's files may be
 * asked for: same-origin resources only, and asset files by plain names.
 */
/** Any `<link>` or `<script>` that loads from another origin (Bull Board's web fonts). */
const EXTERNAL_TAG =
  /<link\b[^>]*\bhref\s*=\s*["']?(?:[a-z][a-z0-9+.-]*:)?\/\/[^>]*>|<script\b[^>]*\bsrc\s*=\s*["']?(?:[a-z][a-z0-9+.-]*:)?\/\/[^>]*>\s*<\/script>/gi;

export const withoutExternalResources = (html: string) => html.replace(EXTERNAL_TAG, '');

/**
 * Pages rendered below this middleware (Bull Board renders its HTML with `res.render`) are
 * sent without tags that load from other origins, so the browser asks no one but this service.
 */
export function localResourcesOnly(_req: Request, res: Response, next: NextFunction) {
  type Render = (view: string, options: object, done: (err: Error | null, html?: string) => void) => void;
  const render = (view: string, options?: object) => {
    const original = (Object.getPrototypeOf(res) as { render: Render }).render;
    original.call(res, view, options ?? {}, (err, html) => {
      if (err) return next(err);
      res.send(withoutExternalResources(html ?? ''));
    });
  };
  res.render = render;
  next();
}

/** A file below `static/`, named plainly: no encoded characters, no dot-segments, no directory. */
const ASSET = /^\/static\/(?:[A-Za-z0-9_-][A-Za-z0-9_.-]*\/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*\.[A-Za-z0-9]+$/;

/**
 * Bull Board serves its assets with express.static, which answers a directory with a redirect
 * and decodes what it is given: only plain file names reach it (others are 404).
 */
export function staticAssetsOnly(req: Request, _res: Response, next: NextFunction) {
  if (req.path.startsWith('/static/') || req.path === '/static') {
    const raw = req.originalUrl.split('?')[0]!.slice(req.baseUrl.length);
    if (!ASSET.test(raw)) return next(new AppError('NOT_FOUND', 'no such asset'));
  }
  next();
}
