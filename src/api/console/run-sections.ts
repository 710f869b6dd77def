import type { Request } from 'express';
import type { ConsoleRun } from './console-run.js';
import { ACTION_TEXT, actionsFor } from './console-run.js';
import { paths } from './console-paths.js';
import { errorText } from './error-text.js';
import { between, shortId, stateBadge, time } from './format.js';
import { html, type Html } from './html.js';

export function facts(run: ConsoleRun): Html {
  return html`<dl class="facts">
    <div>
      <dt>State</dt>
      <dd>${stateBadge(run.state)}</dd>
    </div>
    <div>
      <dt>Client</dt>
      <dd>${run.clientId}</dd>
    </div>
    <div>
      <dt>Run</dt>
      <dd><code>${run.runId}</code></dd>
    </div>
    <div>
      <dt>Created</dt>
      <dd>${time(run.createdAt)}</dd>
    </div>
    <div>
      <dt>Started</dt>
      <dd>${time(run.startedAt)}</dd>
    </div>
    <div>
      <dt>Finished</dt>
      <dd>${time(run.finishedAt)}</dd>
    </div>
    <div>
      <dt>Duration</dt>
      <dd>${between(run.startedAt ?? run.createdAt, run.finishedAt)}</dd>
    </div>
    ${
      run.generation > 1
        ? html`<div>
            <dt>Flow generation</dt>
            <dd>${run.generation} (retried)</dd>
          </div>`
        : ''
    }
  </dl>`;
}

export function runError(run: ConsoleRun): Html {
  if (!run.error) return html``;
  return html`<section class="error-box" aria-labelledby="h-error">
    <h2 id="h-error">What went wrong</h2>
    <p>${errorText(run.error, 'run', run.state)}</p>
  </section>`;
}

/** Admins see the actions the run's state allows, each leading to a confirmation page. Viewers see none. */
export function actions(req: Request, run: ConsoleRun): Html {
  const allowed = req.role === 'admin' ? actionsFor(run.state) : [];
  if (!allowed.length) return html``;
  const label = (a: (typeof allowed)[number]) =>
    a === 'rollback' && run.state === 'rollback_failed' ? 'Retry the rollback' : ACTION_TEXT[a].label;
  return html`<section aria-labelledby="h-actions">
    <h2 id="h-actions">Actions</h2>
    <ul class="actions">
      ${allowed.map(
        (a) =>
          html`<li>
            <a class="button ${a === 'retry' ? '' : 'danger'}" href="${paths.action(run.runId, a)}">${label(a)}…</a>
          </li>`,
      )}
    </ul>
  </section>`;
}

export const runTitle = (run: Pick<ConsoleRun, 'clientId' | 'runId'>) => `${run.clientId} · run ${shortId(run.runId)}`;
