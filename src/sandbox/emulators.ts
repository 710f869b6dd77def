import type { EmulatorFactory } from './framework/emulator.types.js';
import { createGiteaEmulator } from './gitea/gitea.emulator.js';
import { createSupabaseEmulator } from './supabase/supabase.emulator.js';

/** The five provider emulators, in the order they are mounted. Filled in as each emulator lands. */
export const EMULATORS: EmulatorFactory[] = [createSupabaseEmulator, createGiteaEmulator];
