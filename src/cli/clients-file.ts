import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { provisionRequestSchema, type ProvisionRequest } from '../shared/provision-request.js';

/**
 * A batch of clients to provision, from a JSON file (an array of requests, or `{clients: […]}`)
 * or a CSV file whose header names the request's fields (clientId,clientName,orgEmail,tier
 * and optionally callbackUrl). Every row is checked before anything is sent: a file with one bad
 * row provisions nobody, and the error names each bad row and field.
 */
export async function readClientsFile(path: string): Promise<ProvisionRequest[]> {
  const text = await readFile(path, 'utf8');
  const rows = extname(path).toLowerCase() === '.csv' ? parseCsv(text) : fromJson(JSON.parse(text) as unknown);
  return checkRequests(rows, path);
}

/** The requests, when every one is valid; otherwise an error naming each bad row and field. */
export function checkRequests(rows: unknown[], source: string): ProvisionRequest[] {
  // The server decides whether http on loopback is allowed; here only the shape is checked.
  const schema = provisionRequestSchema({ allowLoopbackHttp: true });
  const problems: string[] = [];
  const requests = rows.flatMap((row, i) => {
    const parsed = schema.safeParse(row);
    if (parsed.success) return [parsed.data];
    const where = rows.length > 1 ? `row ${i + 1}: ` : '';
    for (const issue of parsed.error.issues)
      problems.push(`${where}${issue.path.join('.') || '(row)'}: ${issue.message}`);
    return [];
  });
  if (!rows.length) problems.push('no clients');
  if (problems.length) throw new Error(`${source}:\n  ${problems.join('\n  ')}`);
  return requests;
}

function fromJson(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object' && 'clients' in value && Array.isArray(value.clients)) return value.clients;
  return [value];
}

/** RFC 4180: quoted fields may hold commas, quotes ("") and line breaks; empty cells are left out. */
export function parseCsv(text: string): Record<string, string>[] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') field += text[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',' || c === '\n' || c === '\r') {
      record.push(field);
      field = '';
      if (c === ',') continue;
      if (c === '\r' && text[i + 1] === '\n') i++;
      records.push(record);
      record = [];
    } else {
      field += c;
    }
  }
  if (field || record.length) records.push([...record, field]);
  const [header, ...body] = records.filter((r) => r.some((cell) => cell.trim() !== ''));
  const keys = (header ?? []).map((h) => h.trim());
  return body.map((r) => Object.fromEntries(keys.flatMap((k, i) => (r[i]?.trim() ? [[k, r[i].trim()]] : []))));
}
