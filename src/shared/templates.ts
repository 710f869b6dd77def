import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/**
 * The one loader for `templates/`: files by name, read once per process. What they
 * mean to a run lives with the steps that use them (src/steps/templates/). From
 * src/shared/ and from dist/shared/ alike, the folder is two levels up.
 */
const TEMPLATES_DIR = new URL('../../templates/', import.meta.url);

const texts = new Map<string, Promise<string>>();
const jsons = new Map<string, unknown>();

/** A text template (the client schema SQL), read asynchronously once. */
export function loadTemplateText(file: string): Promise<string> {
  let text = texts.get(file);
  if (!text) {
    text = readFile(new URL(file, TEMPLATES_DIR), 'utf8');
    texts.set(file, text);
  }
  return text;
}

/** A JSON template, parsed once; callers validate its shape. */
export function loadTemplateJson(file: string): unknown {
  if (!jsons.has(file)) jsons.set(file, JSON.parse(readFileSync(new URL(file, TEMPLATES_DIR), 'utf8')));
  return jsons.get(file);
}
