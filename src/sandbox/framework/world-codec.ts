/**
 * The emulators' documents as JSON text and back. Stores hold Maps (files by path) and Buffers
 * (file contents), which JSON alone would flatten to `{}` and `{type, data}`: they are tagged
 * with keys no provider body uses, so that a document reads back as the same values.
 */

const MAP = '$sbx.map';
const BYTES = '$sbx.bytes';

export function toDocumentText(value: unknown): string {
  // The holder's own property, before Buffer#toJSON has flattened it.
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, encoded: unknown) {
    const raw = this[key];
    if (Buffer.isBuffer(raw)) return { [BYTES]: raw.toString('base64') };
    if (raw instanceof Map) return { [MAP]: [...(raw as Map<unknown, unknown>)] };
    return encoded;
  });
}

export function fromDocumentText(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (!isTagged(value)) return value;
    const tagged = value as Record<string, unknown>;
    if (BYTES in tagged) return Buffer.from(String(tagged[BYTES]), 'base64');
    return new Map(tagged[MAP] as [unknown, unknown][]);
  });
}

function isTagged(value: unknown): boolean {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === MAP || keys[0] === BYTES);
}
