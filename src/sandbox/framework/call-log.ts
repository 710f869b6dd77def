import type { ProviderName } from '../../shared/providers.js';

/** One call an emulator received: no bodies, no headers, no query (nothing secret). */
export interface CallRecord {
  provider: ProviderName;
  operationId: string;
  method: string;
  path: string;
  /** The status answered; 0 when the connection was dropped or never answered. */
  status: number;
  /** The fault that was played, if any. */
  fault?: string;
  at: string;
}

export class CallLog {
  private calls: CallRecord[] = [];
  constructor(private readonly max = 50_000) {}

  add(call: CallRecord): void {
    this.calls.push(call);
    if (this.calls.length > this.max) this.calls.splice(0, this.calls.length - this.max);
  }

  list(): CallRecord[] {
    return [...this.calls];
  }

  clear(): void {
    this.calls = [];
  }
}
