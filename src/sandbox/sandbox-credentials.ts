/**
 * The fixed, documented credentials the sandbox accepts, and the names it is set up
 * with. The worker uses them by default when a provider is emulated. They open
 * nothing outside this machine's sandbox.
 */
export const SANDBOX_CREDENTIALS = {
  supabase: 'sbp_sandbox_supabase_token',
  github: 'ghp_sandbox_github_token',
  vercel: 'sandbox_vercel_token',
  n8n: 'sandbox-n8n-api-key',
  gitea: 'sandbox-gitea-token',
} as const;

export const SANDBOX_DEFAULTS = {
  supabaseOrg: 'agency-org',
  githubOrg: 'agency-clients',
  githubTemplateRepo: 'agency-clients/client-app-template',
  giteaBackupRepo: 'ops-hub/client-backups',
} as const;

/** Both, as the entry points hand them to the config they build (src/config knows nothing of the sandbox). */
export const SANDBOX_IDENTITY = {
  credentials: SANDBOX_CREDENTIALS,
  supabaseOrg: SANDBOX_DEFAULTS.supabaseOrg,
  githubOrg: SANDBOX_DEFAULTS.githubOrg,
  githubTemplateRepo: SANDBOX_DEFAULTS.githubTemplateRepo,
};
