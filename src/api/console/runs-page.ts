import type { Request } from 'express';
import type { RunRecord } from '../../runs/run.types.js';
import { RUN_STATES } from '../../runs/run.types.js';
import { paths } from './console-paths.js';
import { between, shortId, stateBadge, time } from './format.js';
import { html, type Html } from './html.js';
import { page } from './layout.js';

export interface RunsFilter {
  state?: string;
  client?: string;
  page: number;
}

const query = (f: RunsFilter, pageNo = f.page) =>
  new URLSearchParams({
    ...(f.state ? { state: f.state } : {}),
    ...(f.client ? { client: f.client } : {}),
    ...(pageNo > 1 ? { page: String(pageNo) } : {}),
  }).toString();

const withQuery = (path: string, q: string) => (q ? `${path}?${q}` : path);

/** One run as a row: state, client, run, started, duration. */
export function runRow(run: RunRecord, now = Date.now()): Html {
  const started = run.startedAt ?? run.createdAt;
  return html`<tr data-run-id="${run.runId}" data-state="${run.state}">
    <td>${stateBadge(run.state)}</td>
    <td>${run.clientId}</td>
    <td>
      <a href="${paths.run(run.runId)}"
        ><span class="visually-hidden">Run of ${run.clientId}, </span>${shortId(run.runId)}</a
      >
    </td>
    <td>${time(started)}</td>
    <td>${between(started, run.finishedAt, now)}</td>
  </tr>`;
}

/** The rows of a page of runs (what the page's script fetches again when a run changes). */
export function runRows(runs: RunRecord[], filter: RunsFilter): Html {
  if (runs.length) return html`${runs.map((r) => runRow(r))}`;
  const why = filter.state || filter.client ? 'No run matches this filter.' : 'No runs yet.';
  return html`<tr class="empty">
    <td colspan="5">${why}</td>
  </tr>`;
}

export function runsPage(req: Request, runs: RunRecord[], filter: RunsFilter, hasMore: boolean): Html {
  const option = (s: string) => html`<option value="${s}" ${filter.state === s ? 'selected' : ''}>${s}</option>`;
  const q = query(filter);
  return page(
    req,
    'Runs',
    html`<h1>Runs</h1>
      <form class="filters" method="get" action="${paths.runs}" role="search" aria-label="Filter runs">
        <div>
          <label for="f-state">State</label>
          <select id="f-state" name="state">
            <option value="">any</option>
            ${RUN_STATES.map(option)}
          </select>
        </div>
        <div>
          <label for="f-client">Client id</label>
          <input id="f-client" name="client" value="${filter.client ?? ''}" autocomplete="off" spellcheck="false" />
        </div>
        <button type="submit">Filter</button>
        ${filter.state || filter.client ? html`<a href="${paths.runs}">Clear the filter</a>` : ''}
      </form>
      <table class="runs" data-rows="${withQuery(paths.runRows, q)}" data-events="${paths.events}">
        <caption>
          Newest first${filter.page > 1 ? `, page ${filter.page}` : ''}. New runs and changes of state appear as they
          happen.
        </caption>
        <thead>
          <tr>
            <th scope="col">State</th>
            <th scope="col">Client</th>
            <th scope="col">Run</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody id="run-rows">
          ${runRows(runs, filter)}
        </tbody>
      </table>
      <nav class="pager" aria-label="Pages">
        ${
          filter.page > 1
            ? html`<a rel="prev" href="${withQuery(paths.runs, query(filter, filter.page - 1))}">Newer runs</a>`
            : ''
        }
        ${hasMore ? html`<a rel="next" href="${withQuery(paths.runs, query(filter, filter.page + 1))}">Older runs</a>` : ''}
      </nav>`,
  );
}
