import { createHash, randomBytes } from 'node:crypto';
import type { Collection, Counter } from '../framework/world-collection.js';
import type { SandboxWorld } from '../framework/sandbox-world.js';

/** The git blob id of some content: sha1("blob <len>\0" + bytes), as `git hash-object` computes it. */
export function gitBlobSha(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export interface GitIdentity {
  name: string;
  email: string;
}

export interface GiteaCommit {
  sha: string;
  treeSha: string;
  parentSha?: string;
  message: string;
  author: GitIdentity;
  committer: GitIdentity;
  at: number;
}

export interface GiteaFile {
  path: string;
  content: Buffer;
  sha: string;
  /** The last commit that touched the file. */
  commit: GiteaCommit;
}

export interface GiteaRepo {
  id: number;
  owner: string;
  name: string;
  description: string;
  private: boolean;
  template: boolean;
  defaultBranch: string;
  createdAt: number;
  updatedAt: number;
  headSha?: string;
  files: Map<string, GiteaFile>;
}

export type NewRepo = Pick<GiteaRepo, 'owner' | 'name' | 'description' | 'private' | 'template' | 'defaultBranch'>;

export interface FileChange {
  message: string;
  author: GitIdentity;
  committer: GitIdentity;
}

/** Repositories and their files on the default branch, kept in the sandbox's world; names are case-insensitive like Gitea's. */
export class GiteaRepoStore {
  private readonly repos: Collection<GiteaRepo>;
  private readonly ids: Counter;

  constructor(
    world: SandboxWorld,
    private readonly orgs: ReadonlySet<string>,
    private readonly now: () => number,
  ) {
    this.repos = world.collection<GiteaRepo>('gitea', 'repos');
    this.ids = world.counter('gitea', 'repository', 1);
  }

  hasOrg(org: string): boolean {
    return this.orgs.has(org.toLowerCase());
  }

  get(owner: string, name: string): GiteaRepo | undefined {
    return this.repos.get(repoKey(owner, name));
  }

  add(input: NewRepo): GiteaRepo {
    const now = this.now();
    const repo: GiteaRepo = { ...input, id: this.ids.next(), createdAt: now, updatedAt: now, files: new Map() };
    this.repos.set(repoKey(input.owner, input.name), repo);
    return repo;
  }

  remove(repo: GiteaRepo): void {
    this.repos.delete(repoKey(repo.owner, repo.name));
  }

  list(): GiteaRepo[] {
    return this.repos.values();
  }

  clear(): void {
    this.repos.clear();
    this.ids.reset();
  }

  /** Writes (creates or replaces) a file in a new commit. */
  writeFile(repo: GiteaRepo, path: string, content: Buffer, change: FileChange): GiteaFile {
    const file: GiteaFile = { path, content, sha: gitBlobSha(content), commit: this.commit(repo, change) };
    repo.files.set(path, file);
    return file;
  }

  /** Deletes a file in a new commit, which it answers. */
  deleteFile(repo: GiteaRepo, path: string, change: FileChange): GiteaCommit {
    repo.files.delete(path);
    return this.commit(repo, change);
  }

  private commit(repo: GiteaRepo, change: FileChange): GiteaCommit {
    const at = this.now();
    const commit: GiteaCommit = {
      sha: createHash('sha1')
        .update(`${repo.headSha ?? ''}${at}`)
        .update(randomBytes(16))
        .digest('hex'),
      treeSha: createHash('sha1').update(randomBytes(20)).digest('hex'),
      ...(repo.headSha ? { parentSha: repo.headSha } : {}),
      ...change,
      at,
    };
    repo.headSha = commit.sha;
    repo.updatedAt = at;
    // Every change to a repository's files ends here: the repository is written again.
    this.repos.touch(repoKey(repo.owner, repo.name));
    return commit;
  }
}

const repoKey = (owner: string, name: string): string => `${owner}/${name}`.toLowerCase();
