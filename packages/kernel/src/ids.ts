import { uuidv7 } from 'uuidv7';

/** The one id scheme: UUIDv7 — unique, time-ordered, so primary-key indexes stay append-mostly. */
export function newId(): string {
  return uuidv7();
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
