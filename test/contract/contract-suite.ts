import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderName } from '../../src/shared/providers.js';
import type { EmulatorFactory } from '../../src/sandbox/framework/emulator.types.js';
import type { SandboxExchange } from '../../src/sandbox/framework/sandbox-server.js';
import { keyOf, loadContract, type Contract, type ContractName, type Exception } from './contract-validator.js';
import { operationsIn, startRecordingSandbox, verify, type RecordingSandbox } from './recording-sandbox.js';

/**
 * One test of a provider's contract suite: the calls made while the sandbox records, and what the
 * official description must make of the exchanges recorded (every exchange is checked).
 */
export interface ContractCase<T = unknown> {
  /** The test's name: "When …, then …". */
  when: string;
  /** Done before recording, not checked: what the calls need to exist. Its result goes to `act` and `cleanup`. */
  arrange?: (rec: RecordingSandbox) => Promise<T>;
  /** The calls under test, made while the sandbox records the provider's exchanges. */
  act: (rec: RecordingSandbox, arranged: T) => Promise<unknown>;
  /** Done after recording, not checked, even when `act` failed. */
  cleanup?: (rec: RecordingSandbox, arranged: T) => Promise<unknown>;
  /** Every `operationId status` answered, in any order. */
  seen: string[];
  /** Answers seen or not depending on timing: left out before `seen` is compared. */
  maybeSeen?: string[];
  /** The exchanges cover every operation the description has. */
  everyOperation?: boolean;
  /** The problems no exception explains, as `operationId status kind` in the order met; none by default. */
  unexplained?: string[];
  /** What the detail of an unexplained problem contains, by its index in `unexplained`. */
  details?: Record<number, string>;
  /** The keys of the exceptions the exchanges needed; none by default. */
  used?: string[];
  /** Further checks of the exchanges (headers, bodies) the description does not say. */
  also?: (exchanges: SandboxExchange[], rec: RecordingSandbox) => void;
}

/** Types `arranged` in `act` and `cleanup` from what `arrange` gives. */
export const contractCase = <T>(c: ContractCase<T>): ContractCase<T> => c;

export interface ContractSuite {
  /** The describe block's name. */
  title: string;
  provider: ProviderName;
  contract: ContractName;
  /** The known disagreements between the description and the real service, which the sandbox plays. */
  exceptions: Exception[];
  /** The emulators to serve (another n8n major, say); all of them by default. */
  emulators?: EmulatorFactory[];
  cases: ContractCase<any>[];
}

/**
 * A provider's contract test: the sandbox in-process, recording; each case recorded, checked
 * against the description, and its expectations asserted.
 */
export function describeContract(suite: ContractSuite): void {
  describe(suite.title, () => {
    let rec: RecordingSandbox;
    let contract: Contract;
    beforeAll(async () => {
      contract = await loadContract(suite.contract);
      rec = await startRecordingSandbox(suite.emulators);
    });
    afterAll(async () => rec?.close());

    for (const c of suite.cases) {
      it(c.when, async () => {
        const arranged = await c.arrange?.(rec);
        let exchanges: SandboxExchange[];
        try {
          exchanges = await rec.during(suite.provider, () => c.act(rec, arranged));
        } finally {
          await c.cleanup?.(rec, arranged);
        }

        const { seen, unexplained, used } = verify(contract, exchanges, suite.exceptions);
        if (c.everyOperation) expect(operationsIn(seen)).toEqual(contract.operationIds);
        expect(seen.filter((s) => !c.maybeSeen?.includes(s))).toEqual([...c.seen].sort());
        expect(unexplained.map(keyOf), JSON.stringify(unexplained, null, 1)).toEqual(c.unexplained ?? []);
        for (const [i, text] of Object.entries(c.details ?? {})) {
          expect(unexplained[Number(i)]?.detail).toContain(text);
        }
        expect(used).toEqual([...(c.used ?? [])].sort());
        c.also?.(exchanges, rec);
      });
    }
  });
}
