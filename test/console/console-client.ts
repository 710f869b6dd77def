import type { Harness } from '../support/harness.js';

/**
 * A browser's view of the run console over plain HTTP: cookies kept by hand, forms posted
 * url-encoded, redirects not followed (so a test sees each 303).
 */
export interface ConsoleClient {
  cookies: Map<string, string>;
  get(path: string, headers?: Record<string, string>): Promise<ConsolePage>;
  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<ConsolePage>;
}

export interface ConsolePage {
  status: number;
  html: string;
  headers: Headers;
  location: string | null;
}

export function consoleClient(base: string): ConsoleClient {
  const cookies = new Map<string, string>();
  const send = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(cookies.size ? { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
        ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body } : {}),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) cookies.delete(name);
      else cookies.set(name, value);
    }
    return { status: res.status, html: await res.text(), headers: res.headers, location: res.headers.get('location') };
  };
  return {
    cookies,
    get: (path, headers) => send('GET', path, undefined, headers),
    post: (path, form, headers) => send('POST', path, new URLSearchParams(form).toString(), headers),
  };
}

/** The value of the hidden `_csrf` field of a page's forms. */
export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF field on the page');
  return m[1]!;
}

/** Signs in through the form, as a browser would; returns the client holding the session cookie. */
export async function signedIn(base: string, token: string): Promise<ConsoleClient> {
  const client = consoleClient(base);
  const form = await client.get('/console/sign-in');
  const res = await client.post('/console/sign-in', { _csrf: csrfOf(form.html), token, next: '/console/runs' });
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
  return client;
}

/** A run that fails for good at Vercel (the harness runs with ROLLBACK_ON_FAILURE=manual, so it stays failed). */
export async function failedRun(h: Harness): Promise<any> {
  await h.addFaults([{ provider: 'vercel', operationId: 'createProject', fault: 'http4xx', times: 1 }]);
  const posted = await h.provision();
  const run = await h.waitForRun(posted.body.runId, ['succeeded', 'failed', 'rolled_back']);
  if (run.state !== 'failed') throw new Error(`expected a failed run, got ${run.state}`);
  return run;
}
