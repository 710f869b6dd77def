import { randomBytes } from 'node:crypto';
import type { SandboxWorld } from '../framework/sandbox-world.js';

export type EnvType = 'system' | 'secret' | 'encrypted' | 'plain' | 'sensitive';
export type EnvTarget = 'production' | 'preview' | 'development';

export interface EnvVar {
  id: string;
  key: string;
  /** The clear value: only ever answered for `plain` variables, never in state(). */
  value: string;
  /** What Vercel answers in place of the value of a non-plain variable. */
  cipher: string;
  type: EnvType;
  target: EnvTarget[];
  customEnvironmentIds: string[];
  gitBranch?: string;
  comment?: string;
  createdAt: number;
  updatedAt: number;
}

export interface GitLink {
  type: string;
  org: string;
  repo: string;
  repoId: number;
  createdAt: number;
}

export interface Project {
  id: string;
  name: string;
  accountId: string;
  framework: string | null;
  link?: GitLink;
  env: EnvVar[];
  createdAt: number;
  updatedAt: number;
}

export interface Deployment {
  id: string;
  name: string;
  projectId: string;
  url: string;
  target: 'production' | 'staging' | null;
  createdAt: number;
  /** When the build starts (QUEUED before), and when it ends READY, or ERROR when `fails`. */
  buildingAt: number;
  doneAt: number;
  fails: boolean;
  gitSource?: Record<string, unknown>;
  meta: Record<string, string>;
}

export type ReadyState = 'QUEUED' | 'BUILDING' | 'READY' | 'ERROR';

const ALPHANUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export function randomId(length: number, alphabet = ALPHANUM): string {
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** Vercel's projects (with their env vars) and deployments, kept in the sandbox's world. */
export class VercelStore {
  readonly projects;
  readonly deployments;

  constructor(world: SandboxWorld) {
    this.projects = world.collection<Project>('vercel', 'projects');
    this.deployments = world.collection<Deployment>('vercel', 'deployments');
  }

  findProject(idOrName: string): Project | undefined {
    return this.projects.get(idOrName) ?? this.projects.values().find((p) => p.name === idOrName);
  }

  findDeployment(idOrUrl: string): Deployment | undefined {
    const bare = idOrUrl.replace(/^https?:\/\//, '').replace(/\/+$/, '');
    return this.deployments.get(bare) ?? this.deployments.values().find((d) => d.url === bare);
  }

  /** A project's deployments, oldest first. */
  deploymentsOf(projectId: string): Deployment[] {
    return this.deployments.values().filter((d) => d.projectId === projectId);
  }

  deleteProject(project: Project): void {
    this.projects.delete(project.id);
    for (const d of this.deployments.values()) if (d.projectId === project.id) this.deployments.delete(d.id);
  }

  reset(): void {
    this.projects.clear();
    this.deployments.clear();
  }
}

/** A deployment's state now, from its timestamps. */
export function readyState(d: Deployment, now: number): ReadyState {
  if (now < d.buildingAt) return 'QUEUED';
  if (now < d.doneAt) return 'BUILDING';
  return d.fails ? 'ERROR' : 'READY';
}
