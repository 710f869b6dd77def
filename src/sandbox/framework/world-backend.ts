/** Where a document lives: its emulator, its kind of resource, its id. */
export interface DocumentKey {
  provider: string;
  kind: string;
  id: string;
}

export interface StoredDocument extends DocumentKey {
  /** JSON text (world-codec.ts), written and read back verbatim. */
  text: string;
}

/** Where the world is kept between runs of the sandbox (world-postgres.ts). */
export interface WorldBackend {
  /** The instance's documents in the order they were first written; undefined for an instance never started. */
  load(): Promise<StoredDocument[] | undefined>;
  /** Writes atomically; also records that the instance exists. */
  write(upserts: StoredDocument[], deletes: DocumentKey[]): Promise<void>;
  /** Replaces every document of the instance with these, atomically (a reset). */
  replace(documents: StoredDocument[]): Promise<void>;
  /** Forgets the instance and its documents. */
  drop(): Promise<void>;
  close(): Promise<void>;
}
