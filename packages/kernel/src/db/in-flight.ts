/**
 * The statements one transaction has sent, so that its end can wait for every one of them — including a last write
 * nobody awaited, which then travels with the COMMIT behind it instead of costing a round trip of its own.
 *
 * PostgreSQL answers COMMIT of a transaction that failed earlier with ROLLBACK, not with an error; so the adapters
 * judge a transaction by its statements: if any failed, it did not commit, and that statement's error is thrown.
 * That also catches a statement whose failure the caller caught and went on from.
 */
export class InFlight {
  private readonly sent: Promise<unknown>[] = [];
  /** A statement refused before it was sent (a parameter that cannot be encoded): the transaction must not commit. */
  refused: { error: unknown } | null = null;

  add<T>(statement: Promise<T>): Promise<T> {
    statement.catch(() => {}); // judged in `failure()`; its caller, if it awaits it, sees the error too
    this.sent.push(statement);
    return statement;
  }

  /** A statement refused before sending: remembered, so that the end rolls back instead of committing. */
  refuse(error: unknown): Promise<never> {
    this.refused ??= { error };
    return this.add(Promise.reject(error));
  }

  /** Waits for every statement sent; the error of the first that failed, in the order sent, or null. */
  async failure(): Promise<{ error: unknown } | null> {
    const settled = await Promise.allSettled(this.sent);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    return failed ? { error: failed.reason } : null;
  }

  /**
   * The end of a transaction whose COMMIT was sent behind its statements: the COMMIT's answer, or the first failed
   * statement's error (the COMMIT then ran as a ROLLBACK).
   */
  async commitBehind<T>(committed: Promise<T>): Promise<T> {
    committed.catch(() => {}); // awaited below unless a statement failed first
    const failed = await this.failure();
    if (failed) throw failed.error;
    return committed;
  }
}

/**
 * Sends a statement (`send` throws if it cannot be encoded); in a transaction, returns it as tracked, so one nobody
 * awaits leaves no unhandled rejection and a refused one fails the transaction.
 */
export function issue<T>(sent: InFlight | undefined, send: () => Promise<T>): Promise<T> {
  let statement: Promise<T>;
  try {
    statement = send();
  } catch (e) {
    return sent ? sent.refuse(e) : Promise.reject(e);
  }
  return sent ? sent.add(statement) : statement;
}
