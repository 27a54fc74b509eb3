/**
 * Response-time KPIs of the operations centre by priority: how many incidents, how fast they were dispatched and
 * reached, and the share within the response targets (dispatch's own configured targets). Pure.
 */
export interface ResponseRecord {
  priority: string;
  receivedAt: number;
  dispatchedAt: number | null;
  onSceneAt: number | null;
}

export interface ResponseKpi {
  priority: string;
  incidents: number;
  dispatched: number;
  dispatchMedianS: number | null;
  dispatchP90S: number | null;
  /** Share of the dispatched incidents dispatched within the target. */
  dispatchWithinTarget: number | null;
  onScene: number;
  onSceneMedianS: number | null;
  onSceneP90S: number | null;
  onSceneWithinTarget: number | null;
  targets: { dispatchS: number; onSceneS: number } | null;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function responseKpis(records: readonly ResponseRecord[], targets: Record<string, { dispatchS: number; onSceneS: number }>): ResponseKpi[] {
  const byPriority = new Map<string, ResponseRecord[]>();
  for (const r of records) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r]);
  return [...byPriority.keys()].sort().map((priority) => {
    const list = byPriority.get(priority) ?? [];
    const target = targets[priority] ?? null;
    const dispatch = list.flatMap((r) => (r.dispatchedAt === null ? [] : [(r.dispatchedAt - r.receivedAt) / 1000])).sort((a, b) => a - b);
    const scene = list.flatMap((r) => (r.onSceneAt === null ? [] : [(r.onSceneAt - r.receivedAt) / 1000])).sort((a, b) => a - b);
    const within = (values: number[], limit: number | undefined) => (values.length === 0 || limit === undefined ? null : values.filter((v) => v <= limit).length / values.length);
    return {
      priority,
      incidents: list.length,
      dispatched: dispatch.length,
      dispatchMedianS: percentile(dispatch, 50),
      dispatchP90S: percentile(dispatch, 90),
      dispatchWithinTarget: within(dispatch, target?.dispatchS),
      onScene: scene.length,
      onSceneMedianS: percentile(scene, 50),
      onSceneP90S: percentile(scene, 90),
      onSceneWithinTarget: within(scene, target?.onSceneS),
      targets: target,
    };
  });
}
