import type { EnvVar, Project } from './vercel.state.js';

export const SANDBOX_ACCOUNT_ID = 'team_sandboxAgencyTeam000000';
export const SANDBOX_USER_ID = 'sandboxUser0000000000000';

const RESOURCES = { functionDefaultRegions: ['iad1'], functionDefaultTimeout: 300, functionDefaultMemoryType: 'standard', fluid: true };

/** An env var as Vercel answers it: the clear value only for `plain` ones. */
export function envView(v: EnvVar): Record<string, unknown> {
  return {
    id: v.id,
    key: v.key,
    type: v.type,
    target: v.target,
    value: v.type === 'plain' ? v.value : v.cipher,
    decrypted: false,
    configurationId: null,
    customEnvironmentIds: v.customEnvironmentIds,
    ...(v.gitBranch !== undefined ? { gitBranch: v.gitBranch } : {}),
    ...(v.comment !== undefined ? { comment: v.comment } : {}),
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    createdBy: SANDBOX_USER_ID,
    updatedBy: null,
  };
}

/** The project object `createProject` and `getProject` answer (their required fields and more). */
export function projectView(p: Project): Record<string, unknown> {
  return {
    accountId: p.accountId,
    autoExposeSystemEnvs: true,
    autoAssignCustomDomains: true,
    buildCommand: null,
    devCommand: null,
    installCommand: null,
    outputDirectory: null,
    rootDirectory: null,
    directoryListing: false,
    framework: p.framework,
    id: p.id,
    name: p.name,
    nodeVersion: '22.x',
    live: false,
    publicSource: null,
    serverlessFunctionRegion: 'iad1',
    resourceConfig: RESOURCES,
    defaultResourceConfig: RESOURCES,
    env: p.env.map(envView),
    ...(p.link
      ? {
          link: {
            type: p.link.type,
            org: p.link.org,
            repo: p.link.repo,
            repoId: p.link.repoId,
            repoOwnerId: p.link.repoId % 1_000_000,
            gitCredentialId: 'cred_sandbox',
            productionBranch: 'main',
            deployHooks: [],
            sourceless: true,
            createdAt: p.link.createdAt,
            updatedAt: p.link.createdAt,
          },
        }
      : {}),
    latestDeployments: [],
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}
