// Placeholder: replaced by the provider-clients work (one typed client per provider + a factory).
export interface ProviderClients {
  [provider: string]: unknown;
}
