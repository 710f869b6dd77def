import type { OpenApiDocument, Operation } from './openapi.js';

/**
 * The reference page beside /api/openapi.json: the same document rendered as plain HTML on the
 * server. No script, no CDN, no web font: it is read as it arrives, from anywhere.
 */
type Schema = Record<string, unknown>;

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** Escaped, with `code` spans kept. */
const prose = (s: unknown) => (s === undefined ? '' : esc(s).replace(/`([^`]+)`/g, '<code>$1</code>'));
const refName = (s: Schema) => (typeof s.$ref === 'string' ? s.$ref.split('/').pop()! : undefined);

function typeOf(s: Schema | undefined): string {
  if (!s) return 'any';
  const name = refName(s);
  if (name) return `<a href="#schema-${esc(name)}">${esc(name)}</a>`;
  if (Array.isArray(s.anyOf)) return (s.anyOf as Schema[]).map(typeOf).join(' or ');
  if (Array.isArray(s.enum)) return `one of ${s.enum.map((v) => `<code>${esc(v)}</code>`).join(', ')}`;
  if (s.type === 'array') return `array of ${typeOf(s.items as Schema)}`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') {
    const keys = (s.propertyNames as Schema | undefined)?.enum;
    return `map${Array.isArray(keys) ? ` (keys: ${keys.map(esc).join(', ')})` : ''} of ${typeOf(s.additionalProperties as Schema)}`;
  }
  return `${esc(s.type ?? 'any')}${s.format ? ` (${esc(s.format)})` : ''}`;
}

function constraints(s: Schema): string {
  const c: string[] = [];
  if (s.minLength !== undefined || s.maxLength !== undefined)
    c.push(`length ${esc(s.minLength ?? 0)}–${esc(s.maxLength ?? '∞')}`);
  if (s.minimum !== undefined && s.maximum !== undefined && Number(s.maximum) < 2 ** 53 - 1)
    c.push(`${esc(s.minimum)}–${esc(s.maximum)}`);
  if (s.pattern && !s.format) c.push(`matches <code>${esc(s.pattern)}</code>`);
  if (s.default !== undefined) c.push(`default <code>${esc(JSON.stringify(s.default))}</code>`);
  return [prose(s.description), ...c].filter(Boolean).join('; ');
}

function properties(s: Schema): string {
  const props = (s.properties ?? {}) as Record<string, Schema>;
  const required = new Set((s.required as string[] | undefined) ?? []);
  if (!Object.keys(props).length) return `<p>${typeOf(s)}${s.description ? `: ${prose(s.description)}` : ''}</p>`;
  const rows = Object.entries(props).map(
    ([name, p]) =>
      `<tr><td><code>${esc(name)}</code>${required.has(name) ? '' : ' <small>optional</small>'}</td><td>${typeOf(p)}</td><td>${constraints(p)}${p.properties ? properties(p) : ''}</td></tr>`,
  );
  return `<table><thead><tr><th>field</th><th>type</th><th>notes</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function operation(path: string, method: string, op: Operation): string {
  const params = (op.parameters ?? []).map(
    (p) =>
      `<tr><td><code>${esc(p.name)}</code> <small>${esc(p.in)}${p.required ? '' : ', optional'}</small></td><td>${typeOf(p.schema as Schema)}</td><td>${constraints(p.schema as Schema)}</td></tr>`,
  );
  const body = op.requestBody as { description?: string; content: Record<string, { schema: Schema }> } | undefined;
  const responses = Object.entries(
    op.responses as Record<string, { description: string; content?: Record<string, { schema: Schema }> }>,
  ).map(
    ([status, r]) =>
      `<tr><td><code>${esc(status)}</code></td><td>${prose(r.description)}</td><td>${Object.values(r.content ?? {})
        .map((c) => typeOf(c.schema))
        .join(', ')}</td></tr>`,
  );
  return `<section id="${esc(op.operationId)}" aria-labelledby="${esc(op.operationId)}-title">
<h2 id="${esc(op.operationId)}-title"><span class="method">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h2>
<p><strong>${prose(op.summary)}</strong>${op.description ? ` ${prose(op.description)}` : ''}</p>
<p><small>${op.security?.length === 0 ? 'No token needed.' : 'Bearer token.'}</small></p>
${params.length ? `<h3>Parameters</h3><table><thead><tr><th>name</th><th>type</th><th>notes</th></tr></thead><tbody>${params.join('')}</tbody></table>` : ''}
${
  body
    ? `<h3>Request body</h3>${body.description ? `<p>${prose(body.description)}</p>` : ''}<p>${Object.values(
        body.content,
      )
        .map((c) => typeOf(c.schema))
        .join(', ')}</p>`
    : ''
}
<h3>Responses</h3><table><thead><tr><th>status</th><th>meaning</th><th>body</th></tr></thead><tbody>${responses.join('')}</tbody></table>
</section>`;
}

export function renderReferencePage(doc: OpenApiDocument): string {
  const info = doc.info as { title: string; version: string; description?: string };
  const ops = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ path, method, op })),
  );
  const schemas = (doc.components as { schemas?: Record<string, Schema> } | undefined)?.schemas ?? {};
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info.title)} API reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:62rem;margin:0 auto;padding:1rem 1.5rem;color:#1b1f24}
code{font:13px ui-monospace,monospace;background:#f1f3f5;padding:0 .2em;border-radius:3px;word-break:break-all}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem}th,td{border-bottom:1px solid #dde1e5;padding:.3rem .5rem;text-align:left;vertical-align:top}
section{border-top:2px solid #dde1e5;padding-top:.5rem}.method{display:inline-block;min-width:4.2em;font-size:.8em;padding:.1em .4em;border-radius:3px;background:#1f5fad;color:#fff}
nav li{margin:.1rem 0}a{color:#1f5fad}a:focus{outline:2px solid #1f5fad;outline-offset:2px}
</style></head>
<body><header><h1>${esc(info.title)} API <small>${esc(info.version)}</small></h1>
<p>${prose(info.description)}</p>
<p>The OpenAPI 3.1 description: <a href="/api/openapi.json">/api/openapi.json</a>.</p></header>
<nav aria-label="Operations"><h2>Operations</h2><ul>${ops.map(({ path, method, op }) => `<li><a href="#${esc(op.operationId)}">${esc(method.toUpperCase())} ${esc(path)}</a>: ${prose(op.summary)}</li>`).join('')}</ul></nav>
<main>${ops.map(({ path, method, op }) => operation(path, method, op)).join('\n')}
<section id="schemas" aria-labelledby="schemas-title"><h2 id="schemas-title">Schemas</h2>
${Object.entries(schemas)
  .map(([name, s]) => `<h3 id="schema-${esc(name)}">${esc(name)}</h3>${properties(s)}`)
  .join('\n')}
</section></main></body></html>
`;
}
