import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { failedRun } from './console-client.js';

/**
 * The run console in a real browser: Debian's chromium driven by playwright-core. Every
 * request the pages make is checked to stay on the API's origin, and the browser reports no
 * error (a Content-Security-Policy violation would be one). Screenshots go to docs/screenshots/
 * for the README.
 */
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = new URL('../../docs/screenshots/', import.meta.url);
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium; .ci/run does)`);

let h: Harness;
let browser: Browser;
let context: BrowserContext | undefined;
let offsite: string[] = [];
let errors: string[] = [];

beforeAll(async () => {
  if (!hasChromium) return;
  h = await startHarness({ ROLLBACK_ON_FAILURE: 'manual' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking'],
  });
  mkdirSync(SHOTS, { recursive: true });
});
afterEach(async () => {
  await context?.close();
  context = undefined;
  await h?.clearFaults();
  expect(offsite, 'requests that left the API origin').toEqual([]);
  expect(errors, 'errors the browser reported').toEqual([]);
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

/** A fresh browser profile signed in through the form, with the keyboard. */
async function signIn(token: string): Promise<Page> {
  offsite = [];
  errors = [];
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const origin = new URL(h.api).origin;
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    offsite.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  page.on('pageerror', (e) => void errors.push(e.message));
  await page.goto(`${h.api}/console/runs`);
  await page.getByLabel('Token').fill(token);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Runs', level: 1 }).waitFor();
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: new URL(name, SHOTS).pathname, fullPage: true });

describe.skipIf(!hasChromium)(`the run console in chromium (${CHROMIUM})`, () => {
  it('When an admin signs in and runs are posted, then they appear in the list and reach their end without a reload', async () => {
    const page = await signIn(h.tokens.admin);
    await page.locator('table.runs[data-connected]').waitFor();
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));

    const row = (runId: string) => page.locator(`tr[data-run-id="${runId}"]`);
    const ok = await h.provision();
    await row(ok.body.runId).locator('.state', { hasText: 'succeeded' }).waitFor();
    await h.addFaults([{ provider: 'vercel', operationId: 'createProject', fault: 'http4xx', times: 1 }]);
    const failing = await h.provision();
    await row(failing.body.runId).locator('.state', { hasText: 'failed' }).waitFor();

    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(await row(ok.body.runId).locator('td').nth(1).textContent()).toBe((await h.getRun(ok.body.runId)).clientId);
    await shot(page, 'console-runs.png');
  });

  it("When a run's page is opened from the list, then its timeline shows each step's attempts, a failed one included", async () => {
    await h.addFaults([{ provider: 'n8n', operationId: 'createWorkflow', fault: 'http500', times: 1 }]);
    const posted = await h.provision();
    const run = await h.waitForRun(posted.body.runId, ['succeeded', 'failed']);
    expect(run.state).toBe('succeeded');
    const page = await signIn(h.tokens.viewer);

    const link = page.locator(`tr[data-run-id="${run.runId}"] a`);
    await link.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();

    const lanes = page.locator('.gantt-lanes > .lane');
    expect(await lanes.locator('.lane-name').allTextContents()).toEqual(
      ['supabase', 'database', 'github', 'vercel', 'n8n', 'backup'].map((s) => `${s} succeeded`),
    );
    const n8n = page.getByRole('list', { name: 'n8n' });
    expect(await n8n.locator('.bar-failed').count()).toBe(1);
    expect(await n8n.locator('.bar-ok').count()).toBe(1);
    expect(await n8n.locator('.bar-failed').textContent()).toContain('attempt 1 failed: the provider was unavailable');
    const n8nRow = page.locator('table.steps tr', { has: page.locator('th', { hasText: 'n8n' }) });
    expect(await n8nRow.locator('td').nth(1).textContent()).toBe('2');
    await page.locator('[data-live][data-connected]').waitFor();
    await shot(page, 'console-run.png');
  });

  it('When a run fails, then its page says why in words; an admin rolls it back from the page after confirming, and sees it end live', async () => {
    const run = await failedRun(h);
    const page = await signIn(h.tokens.admin);
    await page.goto(`${h.api}/console/runs/${run.runId}`);

    const why = page.locator('.error-box');
    expect(await why.textContent()).toContain('The provider rejected the request.');
    expect(await why.locator('code').textContent()).toBe('PROVIDER_REJECTED');
    expect(await why.textContent()).toContain('Not retried: fix the cause first');

    await page.getByRole('link', { name: 'Roll back…' }).click();
    await page.getByRole('heading', { name: `Roll back: ${run.clientId}?` }).waitFor();
    expect((await h.getRun(run.runId)).state).toBe('failed');
    await page.keyboard.press('Enter'); // the confirming button has the focus
    await page.getByText('Rollback started.').waitFor();
    await page.locator('.facts .state', { hasText: 'rolled back' }).waitFor();
    expect(await page.locator('.lane-name', { hasText: /^undo / }).count()).toBeGreaterThan(0);
    expect((await h.getRun(run.runId)).state).toBe('rolled_back');
    await shot(page, 'console-rolled-back.png');
  });

  it('When a viewer opens a failed run, then the page offers no action and the server refuses one', async () => {
    const run = await failedRun(h);
    const page = await signIn(h.tokens.viewer);
    await page.goto(`${h.api}/console/runs/${run.runId}`);
    await page.getByRole('heading', { name: 'What went wrong' }).waitFor();

    expect(await page.getByRole('heading', { name: 'Actions' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: /retry|roll back|tear down/i }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /retry|roll back|tear down/i }).count()).toBe(0);
    const refused = await page.goto(`${h.api}/console/runs/${run.runId}/rollback`);
    expect(refused?.status()).toBe(403);
    errors = errors.filter((e) => !/status of 403/.test(e)); // the refusal itself
    expect((await h.getRun(run.runId)).state).toBe('failed');
  });
});
