import type { Repo, RepoFile } from './github.state.js';

const HTML_BASE = 'https://github.com';
const RAW_BASE = 'https://raw.githubusercontent.com';

/** GitHub wraps Base64 content at 60 characters a line. */
const wrapBase64 = (b64: string): string => `${b64.match(/.{1,60}/g)?.join('\n') ?? ''}\n`;

function entryLinks(repo: Repo, path: string, sha: string, type: 'file' | 'dir', apiBase: string) {
  const fullName = `${repo.owner.login}/${repo.name}`;
  const self = `${apiBase}/repos/${fullName}/contents/${path}?ref=main`;
  const git = `${apiBase}/repos/${fullName}/git/${type === 'file' ? 'blobs' : 'trees'}/${sha}`;
  const html = `${HTML_BASE}/${fullName}/${type === 'file' ? 'blob' : 'tree'}/main/${path}`;
  return { url: self, git_url: git, html_url: html, _links: { self, git, html } };
}

/** One entry of a directory listing (`content-directory` item), without content. */
export function contentEntry(
  repo: Repo,
  path: string,
  file: RepoFile | undefined,
  apiBase: string,
): Record<string, unknown> {
  const name = path.split('/').pop() ?? path;
  if (!file) {
    const sha = '0'.repeat(40);
    return {
      type: 'dir',
      size: 0,
      name,
      path,
      sha,
      download_url: null,
      ...entryLinks(repo, path, sha, 'dir', apiBase),
    };
  }
  return {
    type: 'file',
    size: file.content.length,
    name,
    path,
    sha: file.sha,
    download_url: `${RAW_BASE}/${repo.owner.login}/${repo.name}/main/${path}`,
    ...entryLinks(repo, path, file.sha, 'file', apiBase),
  };
}

/** `content-file`: a file with its Base64 content. */
export function contentFile(repo: Repo, path: string, file: RepoFile, apiBase: string): Record<string, unknown> {
  return {
    ...contentEntry(repo, path, file, apiBase),
    encoding: 'base64',
    content: wrapBase64(file.content.toString('base64')),
  };
}

export interface CommitInfo {
  sha: string;
  parentSha: string;
  message: string;
  author: { name: string; email: string };
  committer: { name: string; email: string };
  at: number;
}

/** `file-commit`: the file written and the commit that wrote it. */
export function fileCommit(
  repo: Repo,
  path: string,
  file: RepoFile,
  commit: CommitInfo,
  apiBase: string,
): Record<string, unknown> {
  const fullName = `${repo.owner.login}/${repo.name}`;
  const date = new Date(commit.at).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    content: contentEntry(repo, path, file, apiBase),
    commit: {
      sha: commit.sha,
      node_id: Buffer.from(`C_${commit.sha}`).toString('base64'),
      url: `${apiBase}/repos/${fullName}/git/commits/${commit.sha}`,
      html_url: `${HTML_BASE}/${fullName}/commit/${commit.sha}`,
      author: { ...commit.author, date },
      committer: { ...commit.committer, date },
      message: commit.message,
      tree: { url: `${apiBase}/repos/${fullName}/git/trees/${commit.sha}`, sha: commit.sha },
      parents: [
        {
          url: `${apiBase}/repos/${fullName}/git/commits/${commit.parentSha}`,
          html_url: `${HTML_BASE}/${fullName}/commit/${commit.parentSha}`,
          sha: commit.parentSha,
        },
      ],
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    },
  };
}
