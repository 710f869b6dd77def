import type { Logger } from '../shared/logger.js';
import type { ResourceNames } from '../shared/names.js';
import type { ProviderClients } from '../providers/provider-clients.js';
import type { ProvidersConfig } from '../providers/provider-config.js';
import type { ProvisionRequest } from '../shared/provision-request.js';

import type { StepName } from './step-graph.js';
export type { StepName };

/** Non-secret facts about what a step created: ids, names, URLs. Shown in the API and Bull Board. */
export type Resources = Record<string, string | number | boolean | string[] | null>;

/** What a step hands to the steps that need it: `resources` in clear, `secrets` sealed at rest. */
export interface StepOutput {
  resources: Resources;
  secrets: Record<string, string>;
}

export interface StepTimings {
  pollIntervalMs: number;
  supabaseReadyTimeoutMs: number;
}

interface BaseContext {
  runId: string;
  request: ProvisionRequest;
  names: ResourceNames;
  clients: ProviderClients;
  providers: ProvidersConfig;
  timings: StepTimings;
  log: Logger;
  /** Aborts when the worker shuts down; pass it to long waits. */
  signal: AbortSignal;
  /** An abortable sleep. */
  sleep(ms: number): Promise<void>;
}

export interface StepContext extends BaseContext {
  /**
   * What this step recorded before, on an earlier attempt or before a crash
   * (non-secret resources, and secrets opened again). Empty on a first attempt.
   */
  checkpoint: { resources: Resources; secret(name: string): string | undefined };
  /**
   * Record resources (non-secret) and secrets (sealed before they reach Redis) in the
   * step's job data at once. Call it right after a create returns, and before a create
   * for anything the create needs to be found or used again (a generated password).
   */
  record(update: { resources?: Resources; secrets?: Record<string, string> }): Promise<void>;
  /**
   * Call right before a create, after looking the resource up by name: throws LOCK_LOST when this
   * worker no longer holds the step's job (it stalled and another worker took the job over, which
   * looks the name up and creates in its turn), so a resumed worker never adds a second resource.
   */
  fence(): Promise<void>;
  /** The output of a step this one needs (listed in its `needs`), secrets opened. */
  input(step: StepName): Promise<{ resources: Resources; secret(name: string): string }>;
}

export interface CompensationContext extends BaseContext {
  /** The resources the step recorded, if any: a hint; compensation also finds by name. */
  recorded: Resources;
}

/** What a step did: `created` something, or found it `skipped` (already done). */
export interface StepResult {
  outcome: 'created' | 'skipped';
  resources: Resources;
  /** In clear here; the runner seals them before they are stored. */
  secrets?: Record<string, string>;
}

export type CompensationOutcome = 'deleted' | 'not_found';

export interface StepDefinition {
  /** Its node in STEP_GRAPH, which alone says what it needs and how it is undone. */
  name: StepName;
  /** Find or create, idempotently, by the derived name. */
  execute(ctx: StepContext): Promise<StepResult>;
  /** Undo: find by name (and recorded ids) and delete; "not found" is done. Absent = nothing to undo. */
  compensate?(ctx: CompensationContext): Promise<CompensationOutcome>;
}
