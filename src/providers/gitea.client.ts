import type { GiteaConfig } from './provider-config.js';
import { HttpClient, encodePath } from './http.client.js';
import { nullIfNotFound } from './provider-errors.js';

/** Gitea API v1 (`Authorization: token <t>`, under `/api/v1`): file contents in the backup repo. */

/** The fields of `ContentsResponse` we use; `content` is base64. */
export interface ContentsResponse {
  type: 'file' | 'dir' | 'symlink' | 'submodule';
  path: string;
  sha: string;
  content?: string | null;
}

/** The fields of `FileResponse` (create and update answers) we use. */
export interface FileResponse {
  content?: { sha: string; path?: string } | null;
  commit?: { sha: string } | null;
}

export interface FileRef {
  owner: string;
  repo: string;
  path: string;
}

export interface WriteFileInput extends FileRef {
  /** Base64. */
  content: string;
  message: string;
}

export class GiteaClient {
  private readonly http: HttpClient;

  constructor(config: GiteaConfig, timeoutMs: number) {
    this.http = new HttpClient({
      provider: 'gitea',
      label: 'Gitea',
      credential: 'GITEA_TOKEN',
      secrets: [config.token],
      baseUrl: `${config.baseUrl}/api/v1`,
      headers: { authorization: `token ${config.token}` },
      timeoutMs,
    });
  }

  /** `null` when the file (or the repository) is not there. */
  async getFile(owner: string, repo: string, path: string, signal?: AbortSignal): Promise<ContentsResponse | null> {
    const call = this.http.request<ContentsResponse>({
      operation: 'repoGetContents',
      method: 'GET',
      path: contentsPath({ owner, repo, path }),
      signal,
    });
    return (await nullIfNotFound(call))?.data ?? null;
  }

  /** POST: 201, or 422 when the file exists already. */
  async createFile(input: WriteFileInput, signal?: AbortSignal): Promise<FileResponse> {
    const body = { content: input.content, message: input.message };
    return (
      await this.http.request<FileResponse>({
        operation: 'repoCreateFile',
        method: 'POST',
        path: contentsPath(input),
        body,
        signal,
      })
    ).data;
  }

  /** PUT with the current blob `sha`. */
  async updateFile(input: WriteFileInput & { sha: string }, signal?: AbortSignal): Promise<FileResponse> {
    const body = { content: input.content, message: input.message, sha: input.sha };
    return (
      await this.http.request<FileResponse>({
        operation: 'repoUpdateFile',
        method: 'PUT',
        path: contentsPath(input),
        body,
        signal,
      })
    ).data;
  }

  /** DELETE with a JSON body `{sha, message}`; `false` when the file was already gone. */
  async deleteFile(input: FileRef & { sha: string; message: string }, signal?: AbortSignal): Promise<boolean> {
    const body = { sha: input.sha, message: input.message };
    const call = this.http.request<unknown>({
      operation: 'repoDeleteFile',
      method: 'DELETE',
      path: contentsPath(input),
      body,
      signal,
    });
    return (await nullIfNotFound(call)) !== null;
  }
}

const contentsPath = (f: FileRef) =>
  `/repos/${encodeURIComponent(f.owner)}/${encodeURIComponent(f.repo)}/contents/${encodePath(f.path)}`;
