import type { OperationDef, SandboxRequest, SandboxResponse } from '../framework/emulator.types.js';
import { cleanTreePath, validateFileOptions, type FileOptions } from './gitea-file-body.validator.js';
import type { GiteaFile, GiteaRepo } from './gitea-repo.store.js';
import { giteaError, withRepo, type GiteaContext } from './gitea-repo.routes.js';

const CONTENTS_PATH = '/api/v1/repos/:owner/:repo/contents/*filepath';

type FileHandler = (repo: GiteaRepo, path: string, opts: FileOptions) => SandboxResponse;

/** repoGetContents, repoCreateFile, repoUpdateFile, repoDeleteFile on the default branch. */
export function contentsOperations(ctx: GiteaContext): OperationDef[] {
  const { store, views } = ctx;
  const error = (status: number, message: string) => giteaError(views, status, message);
  const change = (opts: FileOptions, verb: string, path: string) => ({
    message: opts.message ?? `${verb} ${path}`,
    author: opts.author ?? opts.committer ?? ctx.doer,
    committer: opts.committer ?? opts.author ?? ctx.doer,
  });
  const written = (status: number, repo: GiteaRepo, path: string, opts: FileOptions, verb: string): SandboxResponse => {
    const file = store.writeFile(repo, path, opts.content ?? Buffer.alloc(0), change(opts, verb, path));
    return {
      status,
      body: {
        content: views.contents(repo, file, false),
        commit: views.commit(repo, file.commit),
        verification: views.verification(),
      },
    };
  };
  const notThere = (path: string) => error(404, `repository file does not exist [path: ${path}]`);
  const shaMismatch = (given: string, expected: string) =>
    error(422, `sha does not match [given: ${given}, expected: ${expected}]`);

  /** Body validation, then repository, path and branch checks, then the operation itself. */
  const fileOperation = (req: SandboxRequest, required: 'content' | 'sha', then: FileHandler): SandboxResponse => {
    const opts = validateFileOptions(req.body, required);
    if (!opts.ok) return error(422, opts.message);
    return withRepo(ctx, req.params, (repo) => {
      const path = cleanTreePath(req.params.filepath ?? '');
      if (!path) return error(422, `path contains a malformed path component [path: ${req.params.filepath ?? ''}]`);
      if (opts.value.branch && opts.value.branch !== repo.defaultBranch)
        return error(404, `branch does not exist [name: ${opts.value.branch}]`);
      return then(repo, path, opts.value);
    });
  };

  return [
    {
      operationId: 'repoGetContents',
      method: 'GET',
      path: CONTENTS_PATH,
      latencyMs: 60,
      handler: (req) =>
        withRepo(ctx, req.params, (repo) => {
          const path = cleanTreePath(req.params.filepath ?? '') ?? '';
          const file = repo.files.get(path);
          if (file) return { status: 200, body: views.contents(repo, file, true) };
          const listing = directoryListing(repo, path);
          if (listing.length > 0) {
            return {
              status: 200,
              body: listing.map((e) => (e.file ? views.contents(repo, e.file, false) : views.dirEntry(repo, e.path))),
            };
          }
          return error(404, `object does not exist [id: , rel_path: ${path}]`);
        }),
    },
    {
      operationId: 'repoCreateFile',
      method: 'POST',
      path: CONTENTS_PATH,
      latencyMs: 150,
      handler: (req) =>
        fileOperation(req, 'content', (repo, path, opts) =>
          repo.files.has(path)
            ? error(422, `repository file already exists [path: ${path}]`)
            : written(201, repo, path, opts, 'Add'),
        ),
    },
    {
      operationId: 'repoUpdateFile',
      method: 'PUT',
      path: CONTENTS_PATH,
      latencyMs: 150,
      handler: (req) =>
        fileOperation(req, 'content', (repo, path, opts) => {
          const current = repo.files.get(path);
          // Without a sha, PUT creates the file (201), as the contract says.
          if (!opts.sha)
            return current
              ? error(422, `repository file already exists [path: ${path}]`)
              : written(201, repo, path, opts, 'Add');
          if (!current) return notThere(path);
          if (opts.sha !== current.sha) return shaMismatch(opts.sha, current.sha);
          return written(200, repo, path, opts, 'Update');
        }),
    },
    {
      operationId: 'repoDeleteFile',
      method: 'DELETE',
      path: CONTENTS_PATH,
      latencyMs: 150,
      handler: (req) =>
        fileOperation(req, 'sha', (repo, path, opts) => {
          const current = repo.files.get(path);
          if (!current) return notThere(path);
          if (opts.sha !== current.sha) return shaMismatch(opts.sha ?? '', current.sha);
          const commit = store.deleteFile(repo, path, change(opts, 'Delete', path));
          return {
            status: 200,
            body: { content: null, commit: views.commit(repo, commit), verification: views.verification() },
          };
        }),
    },
  ];
}

/** The direct children of a directory: files, and sub-directories (without a file). */
function directoryListing(repo: GiteaRepo, dir: string): { path: string; file?: GiteaFile }[] {
  const prefix = dir === '' ? '' : `${dir}/`;
  const seen = new Map<string, { path: string; file?: GiteaFile }>();
  for (const [path, file] of repo.files) {
    if (!path.startsWith(prefix)) continue;
    const rest = path.slice(prefix.length);
    const slash = rest.indexOf('/');
    const child = `${prefix}${slash < 0 ? rest : rest.slice(0, slash)}`;
    if (!seen.has(child)) seen.set(child, slash < 0 ? { path: child, file } : { path: child });
  }
  return [...seen.values()].sort((a, b) => a.path.localeCompare(b.path));
}
