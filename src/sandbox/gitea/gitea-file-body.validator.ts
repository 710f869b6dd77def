import type { GitIdentity } from './gitea-repo.store.js';

/** What the three file operations take from CreateFileOptions / UpdateFileOptions / DeleteFileOptions. */
export interface FileOptions {
  content?: Buffer;
  sha?: string;
  branch?: string;
  message?: string;
  author?: GitIdentity;
  committer?: GitIdentity;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

const STRING_FIELDS = ['content', 'sha', 'branch', 'new_branch', 'message', 'from_path'] as const;
const fail = (message: string): Checked<never> => ({ ok: false, message });
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Decodes base64 as Go's StdEncoding reader does (newlines ignored, padding required);
 * the error text is Go's `illegal base64 data at input byte N`.
 */
export function decodeBase64(text: string): Checked<Buffer> {
  const clean = text.replace(/[\r\n]/g, '');
  const bad = clean.search(/[^A-Za-z0-9+/=]/);
  const pad = clean.indexOf('=');
  const misplacedPad = pad >= 0 && (!/^=={0,1}$/.test(clean.slice(pad)) || clean.length % 4 !== 0);
  if (bad >= 0) return fail(`illegal base64 data at input byte ${bad}`);
  if (misplacedPad) return fail(`illegal base64 data at input byte ${pad}`);
  if (clean.length % 4 !== 0) return fail(`illegal base64 data at input byte ${clean.length - (clean.length % 4)}`);
  return { ok: true, value: Buffer.from(clean, 'base64') };
}

function identity(v: unknown): GitIdentity | undefined {
  if (!isRecord(v) || typeof v.name !== 'string' || typeof v.email !== 'string' || !v.name || !v.email)
    return undefined;
  return { name: v.name, email: v.email };
}

/**
 * Validates a file operation body as Gitea's binding does: a required field missing or empty
 * answers 422 `[Field]: Required`; content must be base64.
 */
export function validateFileOptions(body: unknown, required: 'content' | 'sha'): Checked<FileOptions> {
  const b = isRecord(body) ? body : {};
  for (const key of STRING_FIELDS) {
    if (b[key] !== undefined && b[key] !== null && typeof b[key] !== 'string')
      return fail(`[${key}]: json: cannot unmarshal into a string`);
  }
  const str = (key: string) => {
    const v = b[key];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  if (required === 'content' && !str('content')) return fail('[ContentBase64]: Required');
  if (required === 'sha' && !str('sha')) return fail('[SHA]: Required');
  const raw = str('content');
  const content = raw === undefined ? undefined : decodeBase64(raw);
  if (content && !content.ok) return content;
  const author = identity(b.author);
  const committer = identity(b.committer);
  const sha = str('sha');
  const branch = str('branch');
  const message = str('message');
  return {
    ok: true,
    value: {
      ...(content ? { content: content.value } : {}),
      ...(sha ? { sha } : {}),
      ...(branch ? { branch } : {}),
      ...(message ? { message } : {}),
      ...(author ? { author } : {}),
      ...(committer ? { committer } : {}),
    },
  };
}

/** Cleans a tree path like Gitea (path.Clean, no leading slash); undefined when it is not a valid file path. */
export function cleanTreePath(raw: string): string | undefined {
  const parts = raw.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.length === 0 || parts.some((s) => s === '..' || s.toLowerCase() === '.git')) return undefined;
  return parts.join('/');
}
