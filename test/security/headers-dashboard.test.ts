/**
 * Issue 10, headers: helmet on every answer, no x-powered-by anywhere (Bull Board's own express
 * app included), and a dashboard that makes the browser ask nothing of any other origin (Bull
 * Board's page links Google's web fonts as shipped: the served page does not).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withoutExternalResources } from '../../src/api/dashboard-guards.js';
import { buildRequest } from '../support/factories.js';
import { startApiApp, type ApiApp } from './api-app.js';

let app: ApiApp;
let jobPage: string;
beforeAll(async () => {
  app = await startApiApp();
  const posted = await app.request('POST', '/api/provisioning', { body: buildRequest() });
  jobPage = `/admin/queues/queue/provision/${posted.body.runId}-g1-supabase`;
});
afterAll(async () => {
  await app?.close();
});

/** Every URL a page or stylesheet refers to: src, href, action attributes and CSS url(). */
function references(text: string): string[] {
  const attrs = [...text.matchAll(/\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?([^"'\s>]+)/gi)].map(
    (m) => m[1]!,
  );
  const css = [...text.matchAll(/url\(\s*["']?([^"')]+)/gi)].map((m) => m[1]!);
  const imports = [...text.matchAll(/@import\s+["']([^"']+)/gi)].map((m) => m[1]!);
  return [...attrs, ...css, ...imports];
}
const external = (ref: string) => /^(?:[a-z][a-z0-9+.-]*:)?\/\//i.test(ref) && !ref.startsWith(app.url);

describe('security headers', () => {
  it('When the API answers (success, error, no route), then it carries a strict CSP and helmet headers, and no x-powered-by', async () => {
    for (const [path, token] of [
      ['/healthz', undefined],
      ['/api/provisioning', undefined],
      ['/api/provisioning', null],
      ['/nowhere', undefined],
    ] as const) {
      const res = await app.request('GET', path, { token });
      const csp = String(res.headers['content-security-policy']);
      expect(csp, path).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self';");
      expect(csp).toMatch(/style-src 'self'(;|$)/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('When the dashboard answers, then its CSP allows inline styles only, still self for everything else, and no x-powered-by', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/static/images/logo.svg']) {
      const res = await app.request('GET', path);
      expect(res.status, path).toBe(200);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("style-src 'self' 'unsafe-inline'");
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("font-src 'self'");
      expect(res.headers['x-powered-by'], path).toBeUndefined();
    }
  });
});

describe('the dashboard asks nothing of other origins', () => {
  it('When Bull Board ships its page, then it links web fonts from the internet; the filter removes that link and nothing else', () => {
    const require = createRequire(import.meta.url);
    const template = readFileSync(
      join(dirname(require.resolve('@bull-board/ui/package.json')), 'dist/index.ejs'),
      'utf8',
    );
    expect(references(template).filter((r) => /^https?:\/\//.test(r))).toEqual([
      expect.stringContaining('https://fonts.googleapis.com/'),
    ]);
    const served = withoutExternalResources(template);
    expect(references(served).filter((r) => /^https?:\/\//.test(r))).toEqual([]);
    expect(references(served).length).toBe(references(template).length - 1);
  });

  it('When each dashboard page is served, then it references no other origin, and every asset it references is served here', async () => {
    for (const page of ['/admin/queues', '/admin/queues/queue/provision', jobPage]) {
      const html = await app.request('GET', page);
      expect(html.status).toBe(200);
      expect(html.headers['content-type']).toMatch(/^text\/html/);
      const refs = references(html.text);
      expect(refs.length).toBeGreaterThan(3);
      expect(refs.filter(external), page).toEqual([]);
      for (const ref of refs) {
        const asset = await app.request('GET', new URL(ref, `${app.url}/admin/queues/`).pathname);
        expect(asset.status, ref).toBe(200);
        if (ref.endsWith('.css')) expect(references(asset.text).filter(external), ref).toEqual([]);
      }
    }
  });

  const browserPath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
    (p) => p && existsSync(p),
  );
  it.skipIf(!browserPath)(
    'When a browser opens the dashboard and a job in it, then every request it makes goes to this service and no policy is violated',
    async () => {
      const browser = await chromium.launch({
        executablePath: browserPath!,
        // No name resolves but loopback: a request elsewhere fails, and is still seen below.
        args: ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
      });
      try {
        const context = await browser.newContext({ httpCredentials: { username: 'ops', password: app.tokens.viewer } });
        const page = await context.newPage();
        const requests: string[] = [];
        const problems: string[] = [];
        page.on('request', (r) => requests.push(r.url()));
        page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
        page.on('pageerror', (e) => problems.push(e.message));
        await page.goto(`${app.url}${jobPage}`);
        // Jobs are named by step and client (`supabase · acme`).
        await page
          .getByText(/^supabase · /)
          .first()
          .waitFor();
        await page.waitForLoadState('networkidle');
        expect(requests.filter((u) => !u.startsWith(app.url))).toEqual([]);
        expect(requests.length).toBeGreaterThan(5);
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );
});
