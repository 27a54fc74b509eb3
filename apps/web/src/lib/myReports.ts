/**
 * The reports this phone filed, kept in localStorage so that a citizen who closed the tab can still follow them:
 * the tracking token (the only key to a report's public status), its category and when. Newest first, at most
 * `MAX_KEPT`. Nothing else about the report or the person is kept.
 */
export interface MyReport {
  trackingToken: string;
  category: string;
  at: string;
}

const KEY = 'tartip.myReports';
export const MAX_KEPT = 20;

export function myReports(): MyReport[] {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    if (!Array.isArray(raw)) return [];
    return raw.filter(
      (r): r is MyReport => typeof r === 'object' && r !== null && typeof r.trackingToken === 'string' && typeof r.category === 'string' && typeof r.at === 'string',
    );
  } catch {
    return [];
  }
}

/** Keeps a filed report at the top of the list (once, however often the same token is kept). */
export function keepMyReport(r: MyReport): void {
  try {
    const list = [r, ...myReports().filter((x) => x.trackingToken !== r.trackingToken)].slice(0, MAX_KEPT);
    localStorage.setItem(KEY, JSON.stringify(list));
  } catch {
    // Private mode or storage full: the tracking link on the screen still works.
  }
}
