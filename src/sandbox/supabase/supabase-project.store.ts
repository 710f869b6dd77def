import { randomInt } from 'node:crypto';
import type { SandboxWorld } from '../framework/sandbox-world.js';
import { projectDatabaseName } from './project-database.js';
import { makeProjectKeys, type ProjectKeys } from './supabase-api-keys.js';

/** The project statuses of the contract's enum that the sandbox plays. */
export type ProjectStatus = 'COMING_UP' | 'ACTIVE_HEALTHY' | 'INIT_FAILED';

export interface SandboxProject {
  /** V1ProjectRefResponse.id is an integer. */
  numericId: number;
  ref: string;
  name: string;
  organizationSlug: string;
  region: string;
  createdAt: number;
  /** The project ends INIT_FAILED instead of ACTIVE_HEALTHY (the `init-failed` fault). */
  initFails: boolean;
  /** When its database was ready; it stays COMING_UP until then, and for `provisionMs` after. */
  databaseReadyAt?: number;
  /** Its provisioning time, already scaled (drawn for each project). */
  provisionMs: number;
  keys: ProjectKeys;
}

export interface NewProject {
  name: string;
  organizationSlug: string;
  region: string;
  initFails: boolean;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** A Supabase project ref: exactly 20 lowercase letters. */
export function newProjectRef(): string {
  let ref = '';
  for (let i = 0; i < 20; i += 1) ref += LETTERS[randomInt(LETTERS.length)];
  return ref;
}

/** The projects, kept in the sandbox's world; status is computed from the creation time, so no timers run. */
export class SupabaseProjectStore {
  private readonly projects;
  private readonly ids;

  constructor(
    world: SandboxWorld,
    private readonly now: () => number,
    /** How long a new project stays COMING_UP once its database exists, already scaled. */
    private readonly provisionMs: () => number,
  ) {
    this.projects = world.collection<SandboxProject>('supabase', 'projects');
    this.ids = world.counter('supabase', 'project', 1);
  }

  /** A ref no live project uses. */
  freshRef(): string {
    let ref = newProjectRef();
    while (this.projects.has(ref)) ref = newProjectRef();
    return ref;
  }

  add(ref: string, input: NewProject): SandboxProject {
    const project: SandboxProject = {
      numericId: this.ids.next(),
      ref,
      name: input.name,
      organizationSlug: input.organizationSlug,
      region: input.region,
      createdAt: this.now(),
      initFails: input.initFails,
      provisionMs: this.provisionMs(),
      keys: makeProjectKeys(ref, this.now()),
    };
    this.projects.set(ref, project);
    return project;
  }

  markDatabaseReady(ref: string): void {
    const project = this.projects.get(ref);
    if (!project) return;
    project.databaseReadyAt = this.now();
    this.projects.touch(ref);
  }

  get(ref: string): SandboxProject | undefined {
    return this.projects.get(ref);
  }

  remove(ref: string): SandboxProject | undefined {
    const project = this.projects.get(ref);
    this.projects.delete(ref);
    return project;
  }

  list(): SandboxProject[] {
    return this.projects.values();
  }

  clear(): void {
    this.projects.clear();
    this.ids.reset();
  }

  status(project: SandboxProject): ProjectStatus {
    const readyAt = project.databaseReadyAt;
    if (readyAt === undefined || this.now() - readyAt < project.provisionMs) return 'COMING_UP';
    return project.initFails ? 'INIT_FAILED' : 'ACTIVE_HEALTHY';
  }

  /** `V1ProjectResponse`: what create answers. */
  view(project: SandboxProject): Record<string, unknown> {
    return {
      id: project.ref,
      ref: project.ref,
      organization_id: project.organizationSlug,
      organization_slug: project.organizationSlug,
      name: project.name,
      region: project.region,
      created_at: new Date(project.createdAt).toISOString(),
      status: this.status(project),
    };
  }

  /** `V1ProjectWithDatabaseResponse`: what get and list answer. */
  viewWithDatabase(project: SandboxProject, dbHost: string): Record<string, unknown> {
    return {
      ...this.view(project),
      database: { host: dbHost, version: '17.4.1.054', postgres_engine: '17', release_channel: 'ga' },
    };
  }

  /** What `/_sandbox/state` shows: no keys, no password. */
  stateView(project: SandboxProject): Record<string, unknown> {
    return {
      ref: project.ref,
      name: project.name,
      status: this.status(project),
      region: project.region,
      organization_slug: project.organizationSlug,
      database: projectDatabaseName(project.ref),
      // The provider's own time for this project (its database, then provisioning), for the bench's floor.
      created_at: new Date(project.createdAt).toISOString(),
      ...(project.databaseReadyAt === undefined
        ? {}
        : { active_at: new Date(project.databaseReadyAt + project.provisionMs).toISOString() }),
    };
  }
}
