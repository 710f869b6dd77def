import type { ConsoleRun } from './console-run.js';
import { stateBadge, time } from './format.js';
import { html, safeHref, type Html } from './html.js';

/** The links an operator looks for first, then every recorded resource. */
const NAMED_LINKS: [step: string, key: string, label: string][] = [
  ['github', 'htmlUrl', 'Repository'],
  ['vercel', 'url', 'Deployment'],
  ['n8n', 'webhookUrl', 'Webhook URL'],
  ['supabase', 'apiUrl', 'Supabase API'],
];

export function resources(title: string, id: string, byStep: ConsoleRun['resources'] | undefined): Html {
  const steps = Object.entries(byStep ?? {});
  if (!steps.length) return html``;
  const value = (v: unknown) => {
    const href = safeHref(v);
    if (href) return html`<a href="${href}" rel="noopener noreferrer">${href}</a>`;
    return Array.isArray(v) ? v.join(', ') : String(v);
  };
  const named = NAMED_LINKS.flatMap(([step, key, label]) => {
    const href = safeHref((byStep as Record<string, Record<string, unknown> | undefined>)?.[step]?.[key]);
    return href ? [html`<li>${label}: <a href="${href}" rel="noopener noreferrer">${href}</a></li>`] : [];
  });
  return html`<section aria-labelledby="${id}">
    <h2 id="${id}">${title}</h2>
    ${
      named.length
        ? html`<ul class="links">
            ${named}
          </ul>`
        : ''
    }
    <div class="resources">
      ${steps.map(
        ([step, r]) =>
          html`<div>
            <h3>${step}</h3>
            <dl>
              ${Object.entries(r ?? {}).map(
                ([k, v]) =>
                  html`<div>
                    <dt>${k}</dt>
                    <dd>${value(v)}</dd>
                  </div>`,
              )}
            </dl>
          </div>`,
      )}
    </div>
  </section>`;
}

export function history(run: ConsoleRun): Html {
  if (!run.history?.length) return html``;
  return html`<section aria-labelledby="h-history">
    <h2 id="h-history">History</h2>
    <table class="history">
      <caption>
        Every change of the run's state, oldest first, and who made it
      </caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">From</th>
          <th scope="col">To</th>
          <th scope="col">By</th>
        </tr>
      </thead>
      <tbody>
        ${run.history.map(
          (h) =>
            html`<tr>
              <td>${time(h.at)}</td>
              <td>${h.from ? stateBadge(h.from) : html`<span class="muted">—</span>`}</td>
              <td>${stateBadge(h.to)}</td>
              <td>${h.by ?? html`<span class="muted">—</span>`}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}
