import { SANDBOX_USER_ID } from './vercel.project.presenter.js';
import { readyState, type Deployment } from './vercel.state.js';

/** The deployment object `createDeployment` and `getDeployment` answer, its state computed at `now`. */
export function deploymentView(
  d: Deployment,
  ownerId: string,
  framework: string | null,
  now: number,
): Record<string, unknown> {
  const state = readyState(d, now);
  const aliased = state === 'READY' && d.target === 'production';
  return {
    id: d.id,
    name: d.name,
    url: d.url,
    projectId: d.projectId,
    ownerId,
    plan: 'pro',
    type: 'LAMBDAS',
    version: 2,
    public: false,
    target: d.target,
    readyState: state,
    status: state,
    ...(state === 'ERROR'
      ? {
          errorCode: 'BUILD_FAILED',
          errorMessage: 'Command "npm run build" exited with 1',
          readyStateReason: 'Build failed',
        }
      : {}),
    createdAt: d.createdAt,
    createdIn: 'sfo1',
    bootedAt: d.createdAt,
    buildingAt: d.buildingAt,
    ...(state === 'READY' || state === 'ERROR' ? { ready: d.doneAt } : {}),
    regions: ['iad1'],
    alias: aliased ? [`${d.name}.vercel.app`] : [],
    aliasAssigned: aliased,
    aliasError: null,
    buildSkipped: false,
    build: { env: [] },
    env: [],
    creator: { uid: SANDBOX_USER_ID, username: 'sandbox' },
    inspectorUrl: `https://vercel.com/sandbox/${d.name}/${d.id.slice(4)}`,
    isInConcurrentBuildsQueue: false,
    isInSystemBuildsQueue: false,
    projectSettings: {
      framework,
      buildCommand: null,
      devCommand: null,
      installCommand: null,
      outputDirectory: null,
      rootDirectory: null,
    },
    meta: d.meta,
    routes: null,
    ...(d.gitSource ? { gitSource: d.gitSource } : {}),
  };
}
