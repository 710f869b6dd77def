import type { Request } from 'express';
import { html, type Html } from './html.js';
import { paths } from './console-paths.js';

/** The hidden CSRF field every form of a signed-in page carries. */
export const csrfField = (req: Request) =>
  req.consoleSession ? html`<input type="hidden" name="_csrf" value="${req.consoleSession.session.csrf}" />` : '';

/**
 * Every console page: same-origin stylesheets and one deferred same-origin script, nothing
 * inline, nothing fetched from elsewhere (no CDN, no web font: the system's fonts).
 */
export function page(req: Request, title: string, main: Html): Html {
  const signedIn = req.role !== undefined;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>${title} · Provisioning console</title>
        <link rel="icon" href="${paths.asset('icon.svg')}" type="image/svg+xml" />
        <link rel="stylesheet" href="${paths.asset('console.css')}" />
        <link rel="stylesheet" href="${paths.asset('gantt.css')}" />
        <script src="${paths.asset('console.js')}" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="${paths.runs}">Provisioning console</a>
          ${
            signedIn
              ? html`<nav aria-label="Main">
                    <a href="${paths.runs}">Runs</a>
                    <a href="/admin/queues">Queues (Bull Board)</a>
                  </nav>
                  <form class="who" method="post" action="${paths.signOut}">
                    <span>Signed in as <strong>${req.role}</strong></span>
                    ${csrfField(req)}
                    ${req.consoleSession ? html`<button type="submit" class="link">Sign out</button>` : ''}
                  </form>`
              : ''
          }
        </header>
        <main id="main" tabindex="-1">${main}</main>
        <div id="live-status" class="visually-hidden" role="status" aria-live="polite"></div>
      </body>
    </html>`;
}
