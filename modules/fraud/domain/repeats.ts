/**
 * Transfers a process decided lately, by partner and transaction id, so that a transfer sent again — the bank's
 * request timed out, its retry logic or a second system sends it once more — gets its first decision back instead
 * of a new one. A new one would be wrong: the first attempt is already in the payer's history, so a held "first
 * large transfer after a risky call" would come back allowed the second time, and a resent block would count
 * twice in the prevented loss.
 *
 * Whether a transfer sent under a known key is the same one is the caller's to say (the runtime compares amount,
 * accounts and override): the same id with other content is a new request — an override after a hold, say.
 *
 * Held in insertion order, which is time order: entries older than the window are dropped from the front as time
 * passes (no timer, no scan), and at most `capacity` are kept (the oldest make room). A window of 0 remembers nothing.
 */
export interface Remembered<T> {
  value: T;
  at: number;
}

export class RecentDecisions<T> {
  private readonly entries = new Map<string, Remembered<T>>();

  constructor(
    private readonly windowMs: number,
    private readonly capacity: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** What was decided under `key` within the window before `now`, if anything. */
  get(key: string, now: number): Remembered<T> | undefined {
    this.forget(now);
    return this.entries.get(key);
  }

  remember(key: string, value: T, now: number): void {
    if (this.windowMs <= 0 || this.capacity <= 0) return;
    // Deleted first, so a key decided again moves to the back (its new time).
    this.entries.delete(key);
    this.entries.set(key, { value, at: now });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  private forget(now: number): void {
    const since = now - this.windowMs;
    for (const [key, e] of this.entries) {
      if (e.at > since) break;
      this.entries.delete(key);
    }
  }
}
