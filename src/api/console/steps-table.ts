import type { ConsoleRun, ConsoleStep } from './console-run.js';
import { errorText } from './error-text.js';
import { between, duration, stateBadge, time } from './format.js';
import { html, type Html } from './html.js';

function waited(s: ConsoleStep): Html | string {
  const parts: string[] = [];
  if (s.rateLimitWaitMs) parts.push(duration(s.rateLimitWaitMs));
  if (s.waitingUntil && Date.parse(s.waitingUntil) > Date.now()) parts.push('waiting now');
  return parts.length ? parts.join(', ') : html`<span class="muted">—</span>`;
}

function compensation(s: ConsoleStep, runState: string): Html | string {
  const c = s.compensation;
  if (!c) return html`<span class="muted">—</span>`;
  const outcome = (c.outcome ?? (s.state === 'compensation_failed' ? 'failed' : 'done')).replace(/_/g, ' ');
  return html`${outcome}${c.attempts ? `, ${c.attempts} attempt${c.attempts === 1 ? '' : 's'}` : ''}
  ${c.error ? html`<br />${errorText(c.error, 'compensation', runState)}` : ''}`;
}

export function stepsTable(run: ConsoleRun): Html {
  const row = (s: ConsoleStep) =>
    html`<tr>
      <th scope="row">${s.name}</th>
      <td>${stateBadge(s.state)}</td>
      <td>${s.attempts}</td>
      <td>${time(s.startedAt)}</td>
      <td>${s.startedAt && s.finishedAt ? between(s.startedAt, s.finishedAt) : html`<span class="muted">—</span>`}</td>
      <td>${waited(s)}</td>
      <td>
        ${s.error ? errorText(s.error, 'step', run.state) : html`<span class="muted">—</span>`}
        ${
          (s.failedAttempts ?? []).length > 1 || (s.failedAttempts?.length && !s.error)
            ? html`<details id="attempts-${s.name}">
                <summary>
                  ${s.failedAttempts!.length} failed attempt${s.failedAttempts!.length === 1 ? '' : 's'}
                </summary>
                <ol>
                  ${s.failedAttempts!.map(
                    (f) =>
                      html`<li>Attempt ${f.attempt} at ${time(f.failedAt)}: ${errorText(f, 'attempt', run.state)}</li>`,
                  )}
                </ol>
              </details>`
            : ''
        }
      </td>
      <td>${compensation(s, run.state)}</td>
    </tr>`;
  return html`<table class="steps">
    <caption>
      Steps, in the order of the step table, with every attempt
    </caption>
    <thead>
      <tr>
        <th scope="col">Step</th>
        <th scope="col">State</th>
        <th scope="col">Attempts</th>
        <th scope="col">Started</th>
        <th scope="col">Took</th>
        <th scope="col">Waited for rate limits</th>
        <th scope="col">Error</th>
        <th scope="col">Undo</th>
      </tr>
    </thead>
    <tbody>
      ${run.steps.map(row)}
    </tbody>
  </table>`;
}
