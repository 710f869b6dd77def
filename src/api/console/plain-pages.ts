import type { Request } from 'express';
import { paths } from './console-paths.js';
import { html, type Html } from './html.js';
import { page } from './layout.js';

/** The sign-in form: a token, as the API takes it. Its CSRF value is also in a cookie (double submit). */
export function signInPage(req: Request, csrf: string, next: string, problem?: string): Html {
  return page(
    req,
    'Sign in',
    html`<h1>Sign in</h1>
      <p>Use an API token: an admin token can act on runs, a viewer token can only look.</p>
      ${problem ? html`<p class="error-box" role="alert">${problem}</p>` : ''}
      <form class="sign-in" method="post" action="${paths.signIn}">
        <input type="hidden" name="_csrf" value="${csrf}" />
        <input type="hidden" name="next" value="${next}" />
        <label for="token">Token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
        <button type="submit">Sign in</button>
      </form>`,
  );
}

export function errorPage(req: Request, status: number, code: string, message: string): Html {
  const back =
    status === 401 ? html`<a href="${paths.signIn}">Sign in</a>` : html`<a href="${paths.runs}">Back to the runs</a>`;
  return page(
    req,
    `Error ${status}`,
    html`<h1>${status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'That did not work'}</h1>
      <p class="error-box" role="alert">${message} <span class="error-meta">(<code>${code}</code>)</span></p>
      <p>${back}</p>`,
  );
}
