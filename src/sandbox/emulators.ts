import type { EmulatorFactory } from './framework/emulator.types.js';

/** The five provider emulators, in the order they are mounted. Filled in as each emulator lands. */
export const EMULATORS: EmulatorFactory[] = [];
