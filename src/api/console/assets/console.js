// The run console's only script: keeps the run list and a run's page up to date from the
// server's events (EventSource on this origin). Without it the pages still work; they are
// simply as of when they were loaded. Every update is HTML rendered by the server.
/* global document, window, location, CSS, EventSource */
'use strict';

(() => {
  const status = document.getElementById('live-status');
  const announce = (text) => {
    if (status) status.textContent = text;
  };

  /** A selector that finds `el` again in freshly rendered HTML, for keeping keyboard focus. */
  const keyOf = (el) => {
    if (el.id) return `#${CSS.escape(el.id)}`;
    const href = el.getAttribute('href');
    return href ? `[href="${CSS.escape(href)}"]` : null;
  };

  /** Replaces `target`'s content, keeping focus and opened <details> where they were. */
  const swap = (target, markup) => {
    const active = document.activeElement;
    const focus = active && target.contains(active) ? keyOf(active) : null;
    const open = [...target.querySelectorAll('details[open][id]')].map((d) => d.id);
    target.innerHTML = markup;
    for (const id of open) document.getElementById(id)?.setAttribute('open', '');
    if (focus) target.querySelector(focus)?.focus();
  };

  /** Fetches `url` into `target`; calls made while a fetch runs coalesce into one more fetch. */
  const refresher = (target, url) => {
    let running = null;
    let again = false;
    const once = async () => {
      const res = await fetch(url, { headers: { accept: 'text/html' }, cache: 'no-store' });
      if (res.redirected || res.status === 401) return void location.reload(); // signed out
      if (res.ok) swap(target, await res.text());
    };
    return () => {
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        try {
          do {
            again = false;
            await once();
          } while (again);
        } finally {
          running = null;
        }
      })();
      return running;
    };
  };

  /** Follows `events`; on every (re)connection it catches up first, then refreshes on each event. */
  const follow = (holder, events, refresh, types, onEvent) => {
    const source = new EventSource(events);
    source.addEventListener('open', () => {
      refresh().then(() => holder.setAttribute('data-connected', 'true'));
    });
    source.addEventListener('error', () => holder.removeAttribute('data-connected'));
    for (const type of types)
      source.addEventListener(type, (e) => {
        refresh().then(() => onEvent(JSON.parse(e.data)));
      });
    window.addEventListener('pagehide', () => source.close());
  };

  const words = (state) => state.replace(/_/g, ' ');

  const list = document.querySelector('table[data-rows]');
  if (list) {
    follow(list, list.dataset.events, refresher(list.tBodies[0], list.dataset.rows), ['run'], (e) =>
      announce(`Run ${e.runId.slice(0, 8)} is ${words(e.state)}.`),
    );
  }

  const live = document.querySelector('[data-live]');
  if (live) {
    follow(live, live.dataset.events, refresher(live, live.dataset.live), ['run', 'step'], (e) => {
      if (e.type === 'run') announce(`The run is ${words(e.state)}.`);
    });
  }
})();
