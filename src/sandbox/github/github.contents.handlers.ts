import type { SandboxRequest, SandboxResponse } from '../framework/emulator.types.js';
import { contentEntry, contentFile, fileCommit } from './github.contents.presenter.js';
import { basicError, invalidRequest, notFound, repositoryEmpty } from './github.errors.js';
import type { GithubContext } from './github.repos.handlers.js';
import type { Repo } from './github.state.js';
import { SANDBOX_USER } from './github.tokens.js';

const DEFAULT_BRANCH = 'main';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const cleanPath = (p: string | undefined): string => (p ?? '').replace(/^\/+|\/+$/g, '');

type Found = { repo: Repo } | { error: SandboxResponse };

/** The repository behind a contents call: 404 when absent, 409 while a generated one is still empty. */
function repoFor(ctx: GithubContext, req: SandboxRequest): Found {
  const repo = ctx.store.find(req.params.owner ?? '', req.params.repo ?? '');
  if (!repo) return { error: notFound() };
  if (!ctx.store.isReady(repo)) return { error: repositoryEmpty() };
  return { repo };
}

/** `repos/get-content`: a file (Base64) or a directory listing; `?ref=` may name `main` or the head commit. */
export function getContent(ctx: GithubContext, req: SandboxRequest): SandboxResponse {
  const found = repoFor(ctx, req);
  if ('error' in found) return found.error;
  const { repo } = found;
  const ref = req.query.ref;
  if (ref !== undefined && ref !== DEFAULT_BRANCH && ref !== repo.headSha)
    return basicError(404, `No commit found for the ref ${ref}`);
  if (repo.files.size === 0) return basicError(404, 'This repository is empty.');
  const path = cleanPath(req.params.path);
  const file = repo.files.get(path);
  if (file) {
    if (String(req.headers.accept ?? '').includes('application/vnd.github.raw')) {
      return {
        status: 200,
        body: file.content.toString('utf8'),
        headers: { 'content-type': 'application/vnd.github.raw; charset=utf-8' },
      };
    }
    return { status: 200, body: contentFile(repo, path, file, ctx.apiBase) };
  }
  const prefix = path === '' ? '' : `${path}/`;
  const children = new Map<string, boolean>();
  for (const p of repo.files.keys()) {
    if (!p.startsWith(prefix)) continue;
    const [head, ...rest] = p.slice(prefix.length).split('/');
    children.set(`${prefix}${head}`, rest.length > 0 || children.get(`${prefix}${head}`) === true);
  }
  if (children.size === 0) return notFound();
  const entries = [...children]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([p, isDir]) => contentEntry(repo, p, isDir ? undefined : repo.files.get(p), ctx.apiBase));
  return { status: 200, body: entries };
}

type Person = { name: string; email: string };

function personOf(v: unknown, field: string): Person | SandboxResponse | undefined {
  if (v === undefined) return undefined;
  const p = (typeof v === 'object' ? v : null) as Partial<Person> | null;
  if (!p || typeof p.name !== 'string') return invalidRequest(`"name" wasn't supplied for "${field}".`);
  if (typeof p.email !== 'string') return invalidRequest(`"email" wasn't supplied for "${field}".`);
  return { name: p.name, email: p.email };
}

const isResponse = (v: unknown): v is SandboxResponse => typeof v === 'object' && v !== null && 'status' in v;

/** `repos/create-or-update-file-contents`: 201 on create, 200 on update; an update needs the current blob `sha`. */
export function putContent(ctx: GithubContext, req: SandboxRequest): SandboxResponse {
  const found = repoFor(ctx, req);
  if ('error' in found) return found.error;
  const { repo } = found;
  const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
  if (typeof body.message !== 'string') return invalidRequest('"message" wasn\'t supplied.');
  if (typeof body.content !== 'string') return invalidRequest('"content" wasn\'t supplied.');
  const b64 = body.content.replace(/\s+/g, '');
  if (!BASE64.test(b64) || b64.length % 4 === 1) return basicError(422, 'content is not valid Base64');
  if (body.branch !== undefined && body.branch !== DEFAULT_BRANCH)
    return basicError(404, `Branch ${JSON.stringify(body.branch)} not found`);
  const committer = personOf(body.committer, 'committer');
  if (isResponse(committer)) return committer;
  const author = personOf(body.author, 'author');
  if (isResponse(author)) return author;

  const path = cleanPath(req.params.path);
  if (path === '') return notFound();
  const existing = repo.files.get(path);
  if (existing) {
    if (typeof body.sha !== 'string' || body.sha === '') return invalidRequest('"sha" wasn\'t supplied.');
    if (body.sha !== existing.sha) return basicError(409, `${path} does not match ${body.sha}`);
  }
  const { file, parentSha } = ctx.store.write(repo, path, Buffer.from(b64, 'base64'));
  const me: Person = {
    name: SANDBOX_USER.login,
    email: `${SANDBOX_USER.id}+${SANDBOX_USER.login}@users.noreply.github.com`,
  };
  const commit = {
    sha: repo.headSha,
    parentSha,
    message: body.message,
    committer: committer ?? me,
    author: author ?? committer ?? me,
    at: ctx.runtime.now(),
  };
  return { status: existing ? 200 : 201, body: fileCommit(repo, path, file, commit, ctx.apiBase) };
}
