import type { EmulatorFactory } from './framework/emulator.types.js';
import { createGiteaEmulator } from './gitea/gitea.emulator.js';
import { createGithubEmulator } from './github/github.emulator.js';
import { createN8nEmulator } from './n8n/n8n.emulator.js';
import { createSupabaseEmulator } from './supabase/supabase.emulator.js';
import { createVercelEmulator } from './vercel/vercel.emulator.js';

/** The five provider emulators, in the order they are mounted. Filled in as each emulator lands. */
export const EMULATORS: EmulatorFactory[] = [
  createSupabaseEmulator,
  createGithubEmulator,
  createVercelEmulator,
  createN8nEmulator,
  createGiteaEmulator,
];
