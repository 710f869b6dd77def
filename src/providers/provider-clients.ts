import type { ProvidersConfig } from './provider-config.js';
import type { RateBudget } from './rate-budget.js';
import { GiteaClient } from './gitea.client.js';
import { GithubClient } from './github.client.js';
import { N8nClient } from './n8n.client.js';
import { SupabaseClient } from './supabase.client.js';
import { VercelClient } from './vercel.client.js';

/** One typed client per provider, made once per process and handed to the steps. */
export interface ProviderClients {
  supabase: SupabaseClient;
  github: GithubClient;
  vercel: VercelClient;
  n8n: N8nClient;
  gitea: GiteaClient;
}

export function createProviderClients(
  providers: ProvidersConfig,
  options: { timeoutMs: number; budget?: RateBudget },
): ProviderClients {
  return {
    supabase: new SupabaseClient(providers.supabase, options.timeoutMs, options.budget),
    github: new GithubClient(providers.github, options.timeoutMs, options.budget),
    vercel: new VercelClient(providers.vercel, options.timeoutMs, options.budget),
    n8n: new N8nClient(providers.n8n, options.timeoutMs),
    gitea: new GiteaClient(providers.gitea, options.timeoutMs),
  };
}

export type { SupabaseClient, GithubClient, VercelClient, N8nClient, GiteaClient };
