/** The security settings as an operator writes them: what is accepted, and what is refused, by name. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';

const TOKENS = `admin:ops:${'a'.repeat(20)}`;
const load = (env: Record<string, string>) => loadConfig({ roles: ['api'] }, { API_TOKENS: TOKENS, ...env });
const problems = (env: Record<string, string>) => {
  try {
    load(env);
    return [];
  } catch (e) {
    return (e as { problems?: string[] }).problems ?? [String(e)];
  }
};

describe('security configuration', () => {
  it('When ENCRYPTION_KEYS lists keys newest first, or ENCRYPTION_KEY gives one, then they are kept in that order', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    expect(load({ ENCRYPTION_KEYS: `${b.toString('hex')}, ${a.toString('base64')}` }).encryptionKeys).toEqual([b, a]);
    const single = load({ ENCRYPTION_KEY: a.toString('hex') });
    expect(single.encryptionKeys).toEqual([a]);
    expect(single.encryptionKey).toEqual(a);
  });

  it('When the keys are malformed, repeated or given both ways, then each problem is named', () => {
    const a = randomBytes(32).toString('hex');
    expect(problems({ ENCRYPTION_KEYS: `${a},abc` })).toEqual([
      expect.stringMatching(/^ENCRYPTION_KEYS: key 2 must be 32 bytes/),
    ]);
    expect(problems({ ENCRYPTION_KEYS: `${a},${a}` })).toEqual([expect.stringContaining('listed twice')]);
    expect(problems({ ENCRYPTION_KEYS: a, ENCRYPTION_KEY: a })).toEqual([expect.stringContaining('not both')]);
  });

  it('When the write limit and callback allow-lists are set, then they are parsed; malformed entries are named', () => {
    const c = load({
      API_WRITE_LIMIT: '5',
      API_WRITE_WINDOW_S: '10',
      PROVIDERS: 'live',
      CALLBACK_ALLOWED_HOSTS: 'hooks.example.com, *.agency.example',
      CALLBACK_ALLOWED_NETWORKS: '10.20.0.0/16,fd00:1::/64',
    });
    expect(c.writeLimit).toEqual({ points: 5, windowSeconds: 10 });
    expect(c.callbacks).toEqual({
      allowLoopback: false,
      allowedHosts: ['hooks.example.com', '*.agency.example'],
      allowedNetworks: ['10.20.0.0/16', 'fd00:1::/64'],
    });
    expect(load({}).writeLimit).toEqual({ points: 30, windowSeconds: 60 });
    expect(problems({ CALLBACK_ALLOWED_HOSTS: 'https://x.example', CALLBACK_ALLOWED_NETWORKS: '10.0.0.0/33' })).toEqual(
      [
        expect.stringContaining('CALLBACK_ALLOWED_HOSTS: "https://x.example"'),
        expect.stringContaining('CALLBACK_ALLOWED_NETWORKS: "10.0.0.0/33"'),
      ],
    );
    expect(problems({ API_WRITE_LIMIT: '0' })).toEqual([expect.stringMatching(/^API_WRITE_LIMIT/)]);
  });
});
