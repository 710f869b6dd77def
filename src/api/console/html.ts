import type { Response } from 'express';

/**
 * HTML built from tagged templates: every interpolated value is escaped unless it is
 * already `Html` (made by `html` itself), so a client name or an error message can never
 * become markup. Arrays are joined; `undefined`, `null` and `false` render as nothing.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function render(part: Part): string {
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return (part as readonly Part[]).map(render).join('');
  if (part === undefined || part === null || part === false) return '';
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0]!;
  parts.forEach((part, i) => (out += render(part) + strings[i + 1]!));
  return new Html(out);
}

/** An http(s) URL fit for an href, or undefined (never `javascript:` and the like). */
export function safeHref(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^https?:\/\//i.test(value)) return undefined;
  try {
    return new URL(value).toString();
  } catch {
    return undefined;
  }
}

/** Answers with a page or a fragment. */
export const send = (res: Response, body: Html, status = 200) => res.status(status).type('html').send(body.value);
