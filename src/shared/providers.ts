/** The five providers a run provisions, by the names used in config, logs, metrics and the sandbox. */
export const PROVIDER_NAMES = ['supabase', 'github', 'vercel', 'n8n', 'gitea'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** `sandbox`: the local emulator answers; `live`: the real service. */
export type ProviderMode = 'sandbox' | 'live';
