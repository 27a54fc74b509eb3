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
  /** Each key's decision and the number of its place in `order` (a key remembered again has a newer place). */
  private readonly entries = new Map<string, { r: Remembered<T>; n: number }>();
  /**
   * Keys in the order remembered, with the time each was, read from `head`: the front of the window. Not the Map's own
   * order — a Map whose oldest entries are deleted keeps their slots until it is rebuilt, and finding its first live
   * entry walks them all (measured: 190 µs per transfer at 200,000 entries, against 13 µs for the whole decision).
   */
  private order: string[] = [];
  private times: number[] = [];
  private head = 0;
  /** Places dropped from the front of `order` when it is compacted: place n is at `order[n - dropped]`. */
  private dropped = 0;

  constructor(
    private readonly windowMs: number,
    private readonly capacity: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** What was decided under `key` within the window before `now`, if anything. */
  get(key: string, now: number): Remembered<T> | undefined {
    this.forget(now - this.windowMs, Number.POSITIVE_INFINITY);
    return this.entries.get(key)?.r;
  }

  remember(key: string, value: T, now: number): void {
    if (this.windowMs <= 0 || this.capacity <= 0) return;
    this.entries.set(key, { r: { value, at: now }, n: this.dropped + this.order.length });
    this.order.push(key);
    this.times.push(now);
    this.forget(Number.NEGATIVE_INFINITY, this.capacity);
  }

  /** Drops, from the front, keys remembered at or before `since`, and the oldest while more than `keep` are held. */
  private forget(since: number, keep: number): void {
    while (this.head < this.order.length && (this.times[this.head] <= since || this.entries.size > keep)) {
      const key = this.order[this.head];
      // A key remembered again later has a newer place further on: this older place is only skipped.
      if (this.entries.get(key)?.n === this.dropped + this.head) this.entries.delete(key);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.times = this.times.slice(this.head);
      this.dropped += this.head;
      this.head = 0;
    }
  }
}
