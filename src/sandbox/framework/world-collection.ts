/**
 * One kind of an emulator's resources (Supabase projects, GitHub repos…): a Map whose every
 * change is reported to the world, which writes it through to Postgres before the answer leaves.
 * A value changed in place (a workflow activated, a file written into a repo) is reported with
 * `touch`; the store that changes it is the one that says so.
 */
export class Collection<T> {
  private readonly items = new Map<string, T>();

  constructor(
    private readonly changed: (id: string) => void,
    readonly codec: DocumentCodec<T> = {},
  ) {}

  get size(): number {
    return this.items.size;
  }

  get(id: string): T | undefined {
    return this.items.get(id);
  }

  has(id: string): boolean {
    return this.items.has(id);
  }

  /** In insertion order, as the Map it replaces (n8n lists workflows in creation order). */
  values(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  set(id: string, value: T): void {
    this.items.set(id, value);
    this.changed(id);
  }

  delete(id: string): boolean {
    const had = this.items.delete(id);
    if (had) this.changed(id);
    return had;
  }

  clear(): void {
    for (const id of this.items.keys()) this.changed(id);
    this.items.clear();
  }

  /** The value was changed in place: it is written again. */
  touch(id: string): void {
    if (this.items.has(id)) this.changed(id);
  }

  /** What the world writes for an id: the document, or undefined once it is gone. */
  document(id: string): unknown {
    const value = this.items.get(id);
    if (value === undefined) return undefined;
    return this.codec.encode ? this.codec.encode(value) : value;
  }

  /** Replaces the contents with loaded documents, reporting nothing (they are already stored). */
  restore(documents: [string, unknown][]): void {
    this.items.clear();
    for (const [id, doc] of documents) this.items.set(id, this.codec.decode ? this.codec.decode(doc) : (doc as T));
  }
}

/**
 * How a value differs from its document, when it holds more than data (a link to another
 * resource). `decode` runs in the order the documents were first written, so a resource can link
 * to one created before it.
 */
export interface DocumentCodec<T> {
  encode?(value: T): unknown;
  decode?(document: unknown): T;
}

/** An id sequence that continues across restarts (GitHub never hands out a repository id twice). */
export class Counter {
  constructor(
    private readonly store: Collection<number>,
    private readonly name: string,
    private readonly first: number,
  ) {}

  next(): number {
    const n = this.store.get(this.name) ?? this.first;
    this.store.set(this.name, n + 1);
    return n;
  }

  reset(): void {
    this.store.delete(this.name);
  }
}
