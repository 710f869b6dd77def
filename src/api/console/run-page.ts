import type { Request } from 'express';
import type { ConsoleAction } from './console-paths.js';
import { paths } from './console-paths.js';
import { ACTION_TEXT, type ConsoleRun } from './console-run.js';
import { stateBadge } from './format.js';
import { html, type Html } from './html.js';
import { csrfField, page } from './layout.js';
import { history, resources } from './run-records.js';
import { actions, facts, runError, runTitle } from './run-sections.js';
import { stepsTable } from './steps-table.js';
import { renderTimeline } from './timeline.js';

const RESOURCES_TITLE: Record<string, string> = {
  rolling_back: 'Resources (being deleted by the rollback)',
  rolled_back: 'Resources it had created (all deleted by the rollback)',
  rollback_failed: 'Resources it had created',
};

/** The part of the run page that changes while the run goes on; the page's script fetches it again. */
export function runLive(req: Request, run: ConsoleRun): Html {
  return html`${facts(run)} ${runError(run)} ${actions(req, run)}
    <section aria-labelledby="h-timeline">
      <h2 id="h-timeline">Timeline</h2>
      ${renderTimeline(run)}
    </section>
    <section aria-labelledby="h-steps">
      <h2 id="h-steps">Steps</h2>
      ${stepsTable(run)}
    </section>
    ${resources(RESOURCES_TITLE[run.state] ?? 'Resources', 'h-resources', run.resources)}
    ${run.leftResources ? resources('Still left at the providers', 'h-left', run.leftResources) : ''} ${history(run)}`;
}

export function runPage(req: Request, run: ConsoleRun, notice?: string): Html {
  return page(
    req,
    runTitle(run),
    html`<nav class="crumbs" aria-label="Breadcrumb"><a href="${paths.runs}">Runs</a> › ${run.clientId}</nav>
      <h1>${run.clientId} <span class="subtle">run ${run.runId.slice(0, 8)}</span></h1>
      ${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
      <div id="run-live" data-live="${paths.runLive(run.runId)}" data-events="${paths.events}?run=${run.runId}">
        ${runLive(req, run)}
      </div>`,
  );
}

/** The confirmation step of an action: what it will do, and one button that does it. */
export function confirmPage(req: Request, run: ConsoleRun, action: ConsoleAction): Html {
  const text = ACTION_TEXT[action];
  const label = action === 'rollback' && run.state === 'rollback_failed' ? 'Retry the rollback' : text.label;
  return page(
    req,
    `${label}? ${runTitle(run)}`,
    html`<nav class="crumbs" aria-label="Breadcrumb">
        <a href="${paths.runs}">Runs</a> › <a href="${paths.run(run.runId)}">${run.clientId}</a> › ${label}
      </nav>
      <h1>${label}: ${run.clientId}?</h1>
      <p>This run is ${stateBadge(run.state)}. ${text.what}</p>
      <form method="post" action="${paths.action(run.runId, action)}" class="confirm">
        ${csrfField(req)}
        <input type="hidden" name="confirm" value="${action}" />
        <button type="submit" class="${action === 'retry' ? '' : 'danger'}" autofocus>${label} ${run.clientId}</button>
        <a href="${paths.run(run.runId)}">Cancel</a>
      </form>`,
  );
}
