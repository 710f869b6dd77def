import type { FaultRule } from '../../src/sandbox/framework/faults.js';

/** `GET /_sandbox/state`, loosely typed: each test reads the slice it checks. */
export type SandboxState = Record<string, any>;
export interface SandboxCall {
  provider: string;
  operationId: string;
  method: string;
  path: string;
  status: number;
  fault?: string;
}

/** The sandbox's admin routes (SPEC 7), for tests: what it holds, what it was asked, its faults. */
export interface SandboxAdmin {
  state(): Promise<SandboxState>;
  calls(): Promise<SandboxCall[]>;
  addFaults(rules: FaultRule[]): Promise<void>;
  /** For an `afterEach`, so that a failing test cannot leak its faults. */
  clearFaults(): Promise<void>;
  /** Clears faults, calls and every emulator's state. */
  reset(): Promise<void>;
}

export function sandboxAdmin(sandboxUrl: string): SandboxAdmin {
  const admin = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${sandboxUrl}/_sandbox${path}`, {
      method,
      ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw new Error(`sandbox ${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : res.json();
  };
  return {
    state: async () => (await admin('GET', '/state')) as SandboxState,
    calls: async () => (await admin('GET', '/calls')) as SandboxCall[],
    addFaults: async (rules) => void (await admin('POST', '/faults', { rules })),
    clearFaults: async () => void (await admin('DELETE', '/faults')),
    reset: async () => void (await admin('POST', '/reset')),
  };
}
