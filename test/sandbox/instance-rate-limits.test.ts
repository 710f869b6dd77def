import { describe, expect, it } from 'vitest';
import { createGiteaEmulator } from '../../src/sandbox/gitea/gitea.emulator.js';
import { createN8nEmulator } from '../../src/sandbox/n8n/n8n.emulator.js';
import { SANDBOX_CREDENTIALS, SANDBOX_DEFAULTS } from '../../src/sandbox/sandbox-credentials.js';
import { afterTheWindow, inSequence, limitedSandbox, secondsIn } from './rate-limit.helper.js';

// n8n and Gitea document no API limit: none unless one is configured for the instance.
// Two calls in 20 s, which is 2 s at this scale.
const rule = { limit: 2, windowMs: 20_000 };
const limits = { n8n: { requests: rule }, gitea: { requests: rule } };

describe('n8n emulator with a configured limit', () => {
  const n8n = limitedSandbox(createN8nEmulator, {
    prefix: '/n8n',
    credential: { 'x-n8n-api-key': SANDBOX_CREDENTIALS.n8n },
    limits,
    timeScale: 0.1,
  });
  const list = () => n8n.call('GET', '/api/v1/workflows');

  it('When the instance gets more API calls than configured, then 429 {message} with retry-after until the window ends; webhooks are not counted', async () => {
    const within = await inSequence(2, list);
    const over = await list();
    const webhook = await n8n.anonymous('POST', '/webhook/nobody', { body: {} });
    const after = await afterTheWindow(list, 429);

    expect(within.map((a) => a.status)).toEqual([200, 200]);
    expect(over.status).toBe(429);
    expect(over.body).toEqual({ message: 'Too Many Requests' });
    expect(secondsIn(over, 'retry-after')).toBeGreaterThanOrEqual(1);
    expect(webhook.status).toBe(404);
    expect(after.status).toBe(200);
  });
});

describe('Gitea emulator with a configured limit', () => {
  const gitea = limitedSandbox(createGiteaEmulator, {
    prefix: '/gitea/api/v1',
    credential: { authorization: `token ${SANDBOX_CREDENTIALS.gitea}` },
    limits,
    timeScale: 0.1,
  });

  it("When the instance gets more API calls than configured, then 429 in Gitea's envelope with retry-after", async () => {
    const get = () => gitea.call('GET', `/repos/${SANDBOX_DEFAULTS.giteaBackupRepo}`);

    const within = await inSequence(2, get);
    const over = await get();

    expect(within.map((a) => a.status)).toEqual([200, 200]);
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ message: 'Too Many Requests', url: expect.any(String) });
    expect(secondsIn(over, 'retry-after')).toBeGreaterThanOrEqual(1);
  });
});
