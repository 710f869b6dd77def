import type { GiteaCommit, GiteaFile, GiteaRepo } from './gitea-repo.store.js';

const iso = (ms: number) => new Date(ms).toISOString();
const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

/** Builds Gitea's JSON shapes (Repository, ContentsResponse, FileResponse...) with URLs under the sandbox. */
export class GiteaViews {
  /** e.g. http://127.0.0.1:4010/gitea */
  constructor(private readonly base: string) {}

  get swaggerUrl(): string {
    return `${this.base}/api/swagger`;
  }

  private api(repo: GiteaRepo): string {
    return `${this.base}/api/v1/repos/${repo.owner}/${repo.name}`;
  }

  private html(repo: GiteaRepo): string {
    return `${this.base}/${repo.owner}/${repo.name}`;
  }

  owner(login: string, id: number): Record<string, unknown> {
    return {
      id,
      login,
      login_name: '',
      source_id: 0,
      full_name: login,
      email: '',
      avatar_url: `${this.base}/avatars/${id}`,
      html_url: `${this.base}/${login}`,
      language: '',
      is_admin: false,
      last_login: '0001-01-01T00:00:00Z',
      created: '2024-01-01T00:00:00Z',
      restricted: false,
      active: false,
      prohibit_login: false,
      location: '',
      website: '',
      description: '',
      visibility: 'public',
      followers_count: 0,
      following_count: 0,
      starred_repos_count: 0,
      username: login,
    };
  }

  repository(repo: GiteaRepo): Record<string, unknown> {
    const full = `${repo.owner}/${repo.name}`;
    return {
      id: repo.id,
      owner: this.owner(repo.owner, 1),
      name: repo.name,
      full_name: full,
      description: repo.description,
      empty: repo.files.size === 0 && !repo.headSha,
      private: repo.private,
      fork: false,
      template: repo.template,
      parent: null,
      mirror: false,
      size: [...repo.files.values()].reduce((n, f) => n + f.content.length, 0),
      language: '',
      languages_url: `${this.api(repo)}/languages`,
      html_url: this.html(repo),
      url: this.api(repo),
      link: '',
      ssh_url: `git@sandbox.local:${full}.git`,
      clone_url: `${this.html(repo)}.git`,
      original_url: '',
      website: '',
      stars_count: 0,
      forks_count: 0,
      watchers_count: 1,
      open_issues_count: 0,
      open_pr_counter: 0,
      release_counter: 0,
      default_branch: repo.defaultBranch,
      archived: false,
      created_at: iso(repo.createdAt),
      updated_at: iso(repo.updatedAt),
      archived_at: '1970-01-01T00:00:00Z',
      permissions: { admin: true, push: true, pull: true },
      has_code: true,
      has_issues: true,
      internal_tracker: {
        enable_time_tracker: true,
        allow_only_contributors_to_track_time: true,
        enable_issue_dependencies: true,
      },
      has_wiki: true,
      has_pull_requests: true,
      has_projects: true,
      projects_mode: 'all',
      has_releases: true,
      has_packages: true,
      has_actions: true,
      ignore_whitespace_conflicts: false,
      allow_merge_commits: true,
      allow_rebase: true,
      allow_rebase_explicit: true,
      allow_squash_merge: true,
      allow_fast_forward_only_merge: true,
      allow_rebase_update: true,
      allow_manual_merge: false,
      autodetect_manual_merge: false,
      default_delete_branch_after_merge: false,
      default_merge_style: 'merge',
      default_allow_maintainer_edit: false,
      avatar_url: '',
      internal: false,
      mirror_interval: '',
      object_format_name: 'sha1',
      mirror_updated: '0001-01-01T00:00:00Z',
      topics: [],
      licenses: [],
    };
  }

  /** ContentsResponse; `withContent` adds the base64 content (GET), FileResponse leaves it null. */
  contents(repo: GiteaRepo, file: GiteaFile, withContent: boolean): Record<string, unknown> {
    const self = `${this.api(repo)}/contents/${encodePath(file.path)}?ref=${repo.defaultBranch}`;
    const git = `${this.api(repo)}/git/blobs/${file.sha}`;
    const html = `${this.html(repo)}/src/branch/${repo.defaultBranch}/${encodePath(file.path)}`;
    return {
      name: basename(file.path),
      path: file.path,
      sha: file.sha,
      last_commit_sha: file.commit.sha,
      last_commit_message: file.commit.message,
      last_committer_date: iso(file.commit.at),
      last_author_date: iso(file.commit.at),
      type: 'file',
      size: file.content.length,
      encoding: withContent ? 'base64' : null,
      content: withContent ? file.content.toString('base64') : null,
      target: null,
      url: self,
      html_url: html,
      git_url: git,
      download_url: `${this.html(repo)}/raw/branch/${repo.defaultBranch}/${encodePath(file.path)}`,
      submodule_git_url: null,
      _links: { self, git, html },
    };
  }

  /** A directory entry of a listing. */
  dirEntry(repo: GiteaRepo, path: string): Record<string, unknown> {
    const self = `${this.api(repo)}/contents/${encodePath(path)}?ref=${repo.defaultBranch}`;
    const html = `${this.html(repo)}/src/branch/${repo.defaultBranch}/${encodePath(path)}`;
    return {
      name: basename(path),
      path,
      sha: '',
      type: 'dir',
      size: 0,
      encoding: null,
      content: null,
      target: null,
      url: self,
      html_url: html,
      git_url: null,
      download_url: null,
      submodule_git_url: null,
      _links: { self, git: null, html },
    };
  }

  commit(repo: GiteaRepo, c: GiteaCommit): Record<string, unknown> {
    const meta = (sha: string, kind: string) => ({
      url: `${this.api(repo)}/git/${kind}/${sha}`,
      sha,
      created: iso(c.at),
    });
    return {
      ...meta(c.sha, 'commits'),
      html_url: `${this.html(repo)}/commit/${c.sha}`,
      author: { ...c.author, date: iso(c.at) },
      committer: { ...c.committer, date: iso(c.at) },
      parents: c.parentSha ? [meta(c.parentSha, 'commits')] : [],
      message: c.message,
      tree: meta(c.treeSha, 'trees'),
    };
  }

  verification(): Record<string, unknown> {
    return { verified: false, reason: 'gpg.error.not_signed_commit', signature: '', signer: null, payload: '' };
  }
}
