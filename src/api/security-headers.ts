import helmet, { contentSecurityPolicy } from 'helmet';
import type { NextFunction, Request, Response } from 'express';

/**
 * Security headers on every answer (helmet): a Content-Security-Policy that lets a page load
 * nothing from anywhere but this service, no framing, no sniffing, no referrer. Pages of this
 * service (the console) use same-origin script and style files only.
 */
const SELF = ["'self'"];
const directives = {
  'default-src': SELF,
  'base-uri': SELF,
  'connect-src': SELF,
  'font-src': SELF,
  'form-action': SELF,
  'frame-ancestors': ["'none'"],
  'img-src': [...SELF, 'data:'],
  'manifest-src': SELF,
  'object-src': ["'none'"],
  'script-src': SELF,
  'script-src-attr': ["'none'"],
  'style-src': SELF,
  'worker-src': SELF,
};

export function securityHeaders() {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/**
 * Bull Board's page sets inline style attributes and a `<style>` block, and its UI adds
 * styles at run time: the dashboard's policy allows inline styles, nothing else more.
 */
export function dashboardContentSecurityPolicy() {
  return contentSecurityPolicy({
    useDefaults: false,
    directives: { ...directives, 'style-src': [...SELF, "'unsafe-inline'"] },
  });
}

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
