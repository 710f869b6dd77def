/** The parts of `V1CreateProjectBody` the sandbox keeps. */
export interface CreateProjectInput {
  name: string;
  organizationSlug: string;
  region: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; message: string };

const SMART_GROUPS: Record<string, string> = { americas: 'us-east-1', emea: 'eu-central-1', apac: 'ap-southeast-1' };
/**
 * Any AWS-style region code. The contract's enum lists 18 codes; the sandbox takes any code of
 * that shape, so the service's default `af-south-1` (not in the enum) still provisions here.
 */
const REGION_CODE = /^[a-z]{2}-[a-z]+-\d$/;
const ORG_SLUG = /^[\w-]+$/;
const DEFAULT_REGION = 'us-east-1';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const fail = (message: string): Validated<never> => ({ ok: false, message });

/** Validates a create-project body the way the Management API does: 400 `{message}` on the first problem. */
export function validateCreateProject(body: unknown): Validated<CreateProjectInput> {
  if (!isRecord(body)) return fail('Request body must be a JSON object');
  const missing = ['db_pass', 'name', 'organization_slug'].filter((k) => body[k] === undefined || body[k] === null);
  if (missing.length > 0) return fail(`${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} required`);
  const { db_pass: dbPass, name, organization_slug: org } = body;
  if (typeof dbPass !== 'string' || dbPass.length === 0) return fail('db_pass must be a non-empty string');
  if (typeof name !== 'string' || name.trim().length === 0) return fail('name must be a non-empty string');
  if (name.length > 256) return fail('name must be shorter than or equal to 256 characters');
  if (typeof org !== 'string' || !ORG_SLUG.test(org)) return fail('organization_slug must match /^[\\w-]+$/');
  const region = pickRegion(body.region, body.region_selection);
  if (!region.ok) return region;
  return { ok: true, value: { name, organizationSlug: org, region: region.value } };
}

function pickRegion(region: unknown, selection: unknown): Validated<string> {
  if (region !== undefined && selection !== undefined)
    return fail('Only one of region or region_selection can be specified');
  if (region !== undefined) {
    return typeof region === 'string' && REGION_CODE.test(region)
      ? { ok: true, value: region }
      : fail(`region ${JSON.stringify(region)} is not a valid region code`);
  }
  if (selection === undefined) return { ok: true, value: DEFAULT_REGION };
  if (!isRecord(selection)) return fail('region_selection must be an object');
  const { type, code } = selection;
  if (type === 'specific') {
    return typeof code === 'string' && REGION_CODE.test(code)
      ? { ok: true, value: code }
      : fail('region_selection.code must be a region code');
  }
  if (type === 'smartGroup') {
    const mapped = typeof code === 'string' ? SMART_GROUPS[code] : undefined;
    return mapped ? { ok: true, value: mapped } : fail('region_selection.code must be one of americas, emea, apac');
  }
  return fail('region_selection.type must be one of specific, smartGroup');
}
