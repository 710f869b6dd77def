import { Collection, Counter, type DocumentCodec } from './world-collection.js';
import { fromDocumentText, toDocumentText } from './world-codec.js';
import type { DocumentKey, StoredDocument, WorldBackend } from './world-backend.js';

/**
 * The sandbox's world: every emulator's collections, and the one seam that persists them. The
 * framework calls `flush` before it answers a request, so an answer a client saw survives a crash:
 * the flush writes every document changed so far (by this request or another one), in order
 * after the writes already under way. Without a backend the world lives in memory only.
 */
export class SandboxWorld {
  private readonly collections = new Map<string, Collection<unknown>>();
  /** Documents changed since the last write, by `provider/kind/id`, in the order they changed. */
  private pending = new Map<string, DocumentKey>();
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly backend?: WorldBackend) {}

  get persistent(): boolean {
    return this.backend !== undefined;
  }

  collection<T>(provider: string, kind: string, codec?: DocumentCodec<T>): Collection<T> {
    const name = `${provider}/${kind}`;
    if (this.collections.has(name)) throw new Error(`collection ${name} is declared twice`);
    const collection = new Collection<T>((id) => this.changed({ provider, kind, id }), codec);
    this.collections.set(name, collection);
    return collection;
  }

  counter(provider: string, name: string, first: number): Counter {
    const counters = (this.collections.get(`${provider}/counters`) ??
      this.collection<number>(provider, 'counters')) as Collection<number>;
    return new Counter(counters, name, first);
  }

  /**
   * Takes the stored world when there is one (what the emulators seeded is replaced), else
   * stores what they seeded: the world of a first start.
   */
  async load(): Promise<void> {
    const documents = await this.backend?.load();
    if (documents === undefined) return this.flush();
    this.pending.clear();
    const byCollection = new Map<string, [string, unknown][]>();
    for (const d of documents) {
      const name = `${d.provider}/${d.kind}`;
      byCollection.set(name, [...(byCollection.get(name) ?? []), [d.id, fromDocumentText(d.text)]]);
    }
    // Documents of an emulator not mounted this time stay stored, untouched.
    for (const [name, collection] of this.collections) collection.restore(byCollection.get(name) ?? []);
  }

  /** Resolves once every change made before the call is stored. */
  flush(): Promise<void> {
    return this.enqueue(() => this.writePending());
  }

  /** After the emulators have reset: the stored world becomes exactly what they hold now. */
  replaceStored(): Promise<void> {
    return this.enqueue(async () => {
      this.pending.clear();
      await this.backend?.replace(this.allDocuments());
    });
  }

  /** Forgets the stored world (a test sandbox's own instance, at close). */
  drop(): Promise<void> {
    return this.enqueue(async () => {
      this.pending.clear();
      await this.backend?.drop();
    });
  }

  async close(): Promise<void> {
    await this.tail;
    await this.backend?.close();
  }

  private changed(key: DocumentKey): void {
    this.pending.set(`${key.provider}/${key.kind}/${key.id}`, key);
  }

  /** One write at a time, in call order: a document is never overwritten by an older state of itself. */
  private enqueue(write: () => Promise<void>): Promise<void> {
    const done = this.tail.then(write);
    this.tail = done.catch(() => undefined);
    return done;
  }

  private async writePending(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    if (!this.backend) return;
    const upserts: StoredDocument[] = [];
    const deletes: DocumentKey[] = [];
    for (const key of batch.values()) {
      const doc = this.collections.get(`${key.provider}/${key.kind}`)?.document(key.id);
      if (doc === undefined) deletes.push(key);
      else upserts.push({ ...key, text: toDocumentText(doc) });
    }
    try {
      await this.backend.write(upserts, deletes);
    } catch (e) {
      // Not stored: the next flush tries these again (unless they changed since, and are queued anew).
      for (const [k, key] of batch) if (!this.pending.has(k)) this.pending.set(k, key);
      throw e;
    }
  }

  private allDocuments(): StoredDocument[] {
    const documents: StoredDocument[] = [];
    for (const [name, collection] of this.collections) {
      const [provider = '', kind = ''] = name.split('/');
      for (const id of collection.keys())
        documents.push({ provider, kind, id, text: toDocumentText(collection.document(id)) });
    }
    return documents;
  }
}
