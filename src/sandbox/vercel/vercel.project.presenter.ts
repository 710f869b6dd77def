import { readyState, type Deployment, type EnvVar, type Project } from './vercel.state.js';

export const SANDBOX_ACCOUNT_ID = 'team_sandboxAgencyTeam000000';
export const SANDBOX_USER_ID = 'sandboxUser0000000000000';

const RESOURCES = {
  functionDefaultRegions: ['iad1'],
  functionDefaultTimeout: 300,
  functionDefaultMemoryType: 'standard',
  fluid: true,
};

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

/** A deployment as a project lists it in `latestDeployments` and `targets`. */
function deploymentRef(d: Deployment, now: number): Record<string, unknown> {
  return {
    id: d.id,
    url: d.url,
    deploymentHostname: d.url.replace(/\.vercel\.app$/, ''),
    readyState: readyState(d, now),
    target: d.target,
    createdAt: d.createdAt,
    createdIn: 'sfo1',
    creator: { uid: SANDBOX_USER_ID, username: 'sandbox', email: 'sandbox@vercel.sandbox.local' },
    name: d.name,
    plan: 'pro',
    private: true,
    type: 'LAMBDAS',
    userId: SANDBOX_USER_ID,
  };
}

/** The current production deployment: the newest one that did not fail. */
function targetsOf(deployments: Deployment[], now: number): Record<string, unknown> {
  const production = deployments.filter((d) => d.target === 'production' && readyState(d, now) !== 'ERROR');
  const current = production[production.length - 1];
  return current ? { production: deploymentRef(current, now) } : {};
}

/**
 * The project object `createProject` and `getProject` answer (their required fields and more).
 * `deployments` are the project's own, oldest first.
 */
export function projectView(p: Project, deployments: Deployment[], now: number): Record<string, unknown> {
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
    latestDeployments: deployments
      .slice(-10)
      .reverse()
      .map((d) => deploymentRef(d, now)),
    targets: targetsOf(deployments, now),
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}
