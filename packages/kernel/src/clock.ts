/** The one clock. Services take a Clock so tests can control time. */
export interface Clock {
  now(): Date;
  /** The same instant as `now()`, in ms since the epoch, without making a Date (for paths that decide per call). */
  nowMs(): number;
}

export const systemClock: Clock = { now: () => new Date(), nowMs: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private current: Date = new Date('2026-01-01T00:00:00Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  nowMs(): number {
    return this.current.getTime();
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
  set(at: Date): void {
    this.current = new Date(at);
  }
}
