/** What a batch did for one of its items. */
export type Outcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface GroupCommitOptions {
  /** Most items one batch takes. */
  maxBatch: number;
  /** Batches committing at once (1 for PGlite, which runs one transaction at a time; a few on PostgreSQL). */
  maxInFlight: number;
}

interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: callers submit one item each and wait; items that arrive while earlier batches are committing
 * are written together, in one transaction with a few multi-row statements instead of one transaction each.
 * Under light load a batch is one item and nothing waits; under heavy load batches grow to `maxBatch` and the
 * cost per item falls. Each caller's promise settles only after its batch's outcome is known — resolved after
 * the commit, so an acknowledged item is durable.
 *
 * `write(items)` returns one outcome per item, in order (an item can fail alone: a rate limit, a conflict). If it
 * throws instead, no item of that batch was written (it was one transaction), and each item is written again on
 * its own, so one bad item fails alone rather than taking its neighbours with it.
 */
export class GroupCommit<I, O> {
  private readonly queue: Waiting<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;
  batches = 0;
  items = 0;

  constructor(
    private readonly write: (items: I[]) => Promise<Outcome<O>[]>,
    private readonly options: GroupCommitOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight || this.queue.length === 0) return;
    // Wait for the rest of this turn of the event loop, so requests that arrived together go together.
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
        void this.run(this.queue.splice(0, this.options.maxBatch));
      }
    });
  }

  private async run(batch: Waiting<I, O>[]): Promise<void> {
    this.inFlight++;
    try {
      let outcomes: Outcome<O>[];
      try {
        outcomes = await this.write(batch.map((w) => w.item));
        if (outcomes.length !== batch.length) throw new Error(`group commit: ${outcomes.length} outcomes for ${batch.length} items`);
      } catch (error) {
        if (batch.length === 1) outcomes = [{ ok: false, error }];
        else outcomes = await Promise.all(batch.map((w) => this.writeOne(w.item)));
      }
      this.batches++;
      this.items += batch.length;
      batch.forEach((w, i) => {
        const o = outcomes[i];
        if (o.ok) w.resolve(o.value);
        else w.reject(o.error);
      });
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }

  private async writeOne(item: I): Promise<Outcome<O>> {
    try {
      const [o] = await this.write([item]);
      return o;
    } catch (error) {
      return { ok: false, error };
    }
  }
}
