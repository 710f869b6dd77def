import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/shared/errors.js';
import { parseLimitOverrides } from '../../src/sandbox/sandbox-runtime.js';
import { DEFAULT_LIMITS, resolveLimits } from '../../src/sandbox/sandbox-limits.js';

const sandboxConfig = (env: Record<string, string>) => loadConfig({ roles: ['sandbox'] }, env).sandbox;
const problemsOf = (env: Record<string, string>): string[] => {
  try {
    parseLimitOverrides(loadConfig({ roles: ['sandbox'] }, env).sandbox.limits);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe('Sandbox settings', () => {
  it('By default the profile is fast and no limit is overridden', () => {
    expect(sandboxConfig({})).toMatchObject({ profile: 'fast', limits: {}, rateLimits: false });
  });

  it('SANDBOX_LIMITS overrides single fields of the documented limits, and SANDBOX_PROFILE picks the delays', () => {
    const config = sandboxConfig({
      SANDBOX_PROFILE: 'realistic',
      SANDBOX_LIMITS: JSON.stringify({
        github: { contentPerMinute: { limit: 20 }, status: 429 },
        vercel: { createProject: { limit: 50 } },
        n8n: { requests: { limit: 10, windowMs: 1000 } },
      }),
    });

    const limits = resolveLimits(parseLimitOverrides(config.limits));

    expect(config.profile).toBe('realistic');
    expect(limits.github).toMatchObject({
      contentPerMinute: { limit: 20, windowMs: 60_000 },
      contentPerHour: DEFAULT_LIMITS.github.contentPerHour,
      status: 429,
    });
    expect(limits.vercel).toEqual({
      createDeployment: DEFAULT_LIMITS.vercel.createDeployment,
      createProject: { limit: 50, windowMs: 60_000 },
    });
    expect(limits.n8n).toEqual({ requests: { limit: 10, windowMs: 1000 } });
    expect(limits.gitea).toEqual({});
    expect(limits.supabase).toEqual({ perEndpoint: { limit: 120, windowMs: 60_000 } });
  });

  it('When SANDBOX_LIMITS is not JSON or names an unknown limit, or SANDBOX_PROFILE is unknown, then the config names each key', () => {
    expect(problemsOf({ SANDBOX_LIMITS: 'github=20' })).toEqual([
      expect.stringMatching(/^SANDBOX_LIMITS: must be JSON/),
    ]);
    expect(problemsOf({ SANDBOX_LIMITS: '{}', SANDBOX_PROFILE: 'slow' })).toEqual([
      expect.stringMatching(/^SANDBOX_PROFILE: /),
    ]);
    // The rules' shape is the sandbox's to know: it names the bad field when it starts.
    expect(problemsOf({ SANDBOX_LIMITS: '{"github":{"perHour":{"limit":1}}}' })).toEqual([
      expect.stringMatching(/^SANDBOX_LIMITS\.github: .*perHour/),
    ]);
  });

  it('By default the world is kept in Postgres under the instance "default"; SANDBOX_STATE=memory keeps it in memory', () => {
    expect(sandboxConfig({})).toMatchObject({ state: 'postgres', instance: 'default' });
    expect(sandboxConfig({ SANDBOX_STATE: 'memory', SANDBOX_INSTANCE: 'lab-2' })).toMatchObject({
      state: 'memory',
      instance: 'lab-2',
    });
  });

  it('When SANDBOX_STATE or SANDBOX_INSTANCE is malformed, then the config names each key', () => {
    expect(problemsOf({ SANDBOX_STATE: 'redis', SANDBOX_INSTANCE: 'two words' })).toEqual([
      expect.stringMatching(/^SANDBOX_STATE: /),
      expect.stringMatching(/^SANDBOX_INSTANCE: must be 1-100 letters/),
    ]);
  });
});
