import { createHash, randomBytes } from 'node:crypto';
import type { Collection, Counter } from '../framework/world-collection.js';
import type { SandboxWorld } from '../framework/sandbox-world.js';
import { SANDBOX_DEFAULTS } from '../sandbox-credentials.js';
import { SANDBOX_USER } from './github.tokens.js';

export interface Account {
  login: string;
  id: number;
  type: 'User' | 'Organization';
}

export interface RepoFile {
  content: Buffer;
  sha: string;
}

export interface Repo {
  id: number;
  owner: Account;
  name: string;
  private: boolean;
  isTemplate: boolean;
  description: string | null;
  homepage: string | null;
  hasIssues: boolean;
  hasProjects: boolean;
  hasWiki: boolean;
  createdAt: number;
  updatedAt: number;
  pushedAt: number;
  /** Before this instant a generated repository answers 404 (get) and 409 (contents). */
  readyAt: number;
  /** The template it was generated from, if any. */
  template?: Repo;
  headSha: string;
  files: Map<string, RepoFile>;
}

export type NewRepo = Pick<Repo, 'owner' | 'name' | 'private' | 'isTemplate' | 'description' | 'homepage' | 'readyAt'> &
  Partial<Pick<Repo, 'hasIssues' | 'hasProjects' | 'hasWiki' | 'template' | 'files'>>;

/** Git's blob id of a file's bytes. */
export const blobSha = (content: Buffer): string =>
  createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');

export const newCommitSha = (): string => randomBytes(20).toString('hex');

export function fileOf(text: string): RepoFile {
  const content = Buffer.from(text, 'utf8');
  return { content, sha: blobSha(content) };
}

const TEMPLATE_FILES: Record<string, string> = {
  'README.md':
    '# Client app template\n\nNext.js app generated for each client. The provisioner commits `client-config.json`.\n',
  'package.json': `${JSON.stringify({ name: 'client-app-template', private: true, scripts: { build: 'next build', start: 'next start' } }, null, 2)}\n`,
  '.gitignore': 'node_modules\n.next\n.env*.local\n',
};

/** A repository as stored: the template it was generated from is named, not copied. */
type StoredRepo = Omit<Repo, 'template'> & { template?: string };

/** GitHub's accounts and repositories, kept in the sandbox's world; names compared case-insensitively as GitHub does. */
export class GithubStore {
  private readonly accounts = new Map<string, Account>();
  private readonly repos: Collection<Repo>;
  private readonly ids: Counter;

  constructor(
    world: SandboxWorld,
    private readonly now: () => number,
  ) {
    this.repos = world.collection<Repo>('github', 'repos', {
      encode: ({ template, ...repo }): StoredRepo => ({
        ...repo,
        ...(template ? { template: key(template.owner.login, template.name) } : {}),
      }),
      // A template is written before the repositories generated from it, so it is already back.
      decode: (doc) => {
        const { template, ...repo } = doc as StoredRepo;
        const linked = template === undefined ? undefined : this.repos.get(template);
        return { ...repo, ...(linked ? { template: linked } : {}) };
      },
    });
    this.ids = world.counter('github', 'repository', 700_000_000);
    for (const a of [
      { login: SANDBOX_DEFAULTS.githubOrg, id: 90_000_100, type: 'Organization' as const },
      { login: SANDBOX_USER.login, id: SANDBOX_USER.id, type: 'User' as const },
    ]) {
      this.accounts.set(a.login.toLowerCase(), a);
    }
    this.reset();
  }

  reset(): void {
    this.repos.clear();
    this.ids.reset();
    const [owner, name] = SANDBOX_DEFAULTS.githubTemplateRepo.split('/') as [string, string];
    const files = new Map(Object.entries(TEMPLATE_FILES).map(([path, text]) => [path, fileOf(text)]));
    this.add({
      owner: this.account(owner)!,
      name,
      private: true,
      isTemplate: true,
      description: 'Template for client apps',
      homepage: null,
      readyAt: 0,
      files,
    });
  }

  account(login: string): Account | undefined {
    return this.accounts.get(login.toLowerCase());
  }

  find(owner: string, name: string): Repo | undefined {
    return this.repos.get(key(owner, name));
  }

  add(init: NewRepo): Repo {
    const t = this.now();
    const repo: Repo = {
      id: this.ids.next(),
      hasIssues: true,
      hasProjects: true,
      hasWiki: true,
      files: new Map(),
      ...init,
      createdAt: t,
      updatedAt: t,
      pushedAt: t,
      headSha: newCommitSha(),
    };
    this.repos.set(key(repo.owner.login, repo.name), repo);
    return repo;
  }

  remove(repo: Repo): void {
    this.repos.delete(key(repo.owner.login, repo.name));
  }

  isReady(repo: Repo): boolean {
    return this.now() >= repo.readyAt;
  }

  /** Writes one file as a new commit on the default branch. */
  write(repo: Repo, path: string, content: Buffer): { file: RepoFile; parentSha: string } {
    const file = { content, sha: blobSha(content) };
    const parentSha = repo.headSha;
    repo.files.set(path, file);
    repo.headSha = newCommitSha();
    repo.pushedAt = repo.updatedAt = this.now();
    this.repos.touch(key(repo.owner.login, repo.name));
    return { file, parentSha };
  }

  all(): Repo[] {
    return this.repos.values();
  }
}

const key = (owner: string, name: string): string => `${owner}/${name}`.toLowerCase();
