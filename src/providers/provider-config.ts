import type { ProviderMode } from '../shared/providers.js';

/** What each provider client needs: where to call, with which credential. Built by src/config. */
export interface SupabaseConfig {
  mode: ProviderMode;
  baseUrl: string;
  token: string;
  orgSlug: string;
  region: string;
}
export interface GithubConfig {
  mode: ProviderMode;
  baseUrl: string;
  token: string;
  org: string;
  templateOwner: string;
  templateRepo: string;
}
export interface VercelConfig {
  mode: ProviderMode;
  baseUrl: string;
  token: string;
  teamId?: string;
}
export interface N8nConfig {
  mode: ProviderMode;
  baseUrl: string;
  apiKey: string;
}
export interface GiteaConfig {
  mode: ProviderMode;
  baseUrl: string;
  token: string;
  backupOwner: string;
  backupRepo: string;
}

export interface ProvidersConfig {
  supabase: SupabaseConfig;
  github: GithubConfig;
  vercel: VercelConfig;
  n8n: N8nConfig;
  gitea: GiteaConfig;
}
