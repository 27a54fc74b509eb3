import { jurisdictionFilter } from '../../packages/kernel/src/auth/jurisdiction.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { loadDispatchSettings } from '../dispatch/config/settings.ts';
import { type ResponseKpi, responseKpis } from './domain/kpi.ts';

/**
 * The KPI board: response times and targets met by priority (the targets are dispatch's configured ones, read
 * with its settings loader from the same environment), traffic violations decided and frauds prevented, for
 * [from, to) in the caller's jurisdictions.
 */
export interface Kpis {
  period: { from: string; to: string };
  response: ResponseKpi[];
  violations: { confirmed: number; rejected: number };
  fraudPrevented: { calls: number; transactions: number };
}

export async function kpis(kernel: Kernel, q: { from: number; to: number; jurisdictions: readonly string[] }): Promise<Kpis> {
  const params: unknown[] = [new Date(q.from), new Date(q.to)];
  const [jur, jp] = jurisdictionFilter("coalesce(kato, '')", q.jurisdictions, 3);
  params.push(...jp);
  const responses = await kernel.db.query<{ priority: string; received_at: Date; dispatched_at: Date | null; on_scene_at: Date | null }>(
    `select priority, received_at, dispatched_at, on_scene_at from analytics_response where received_at >= $1 and received_at < $2 and ${jur}`,
    params,
  );
  const counts = await kernel.db.query<{ kind: string; n: number }>(
    `select kind, count(*)::int8 as n from analytics_kpi_event where at >= $1 and at < $2 and ${jur} group by kind`,
    params,
  );
  const n = (kind: string) => Number(counts.find((c) => c.kind === kind)?.n ?? 0);
  const targets = loadDispatchSettings(kernel.config.env ?? process.env).targets;
  return {
    period: { from: new Date(q.from).toISOString(), to: new Date(q.to).toISOString() },
    response: responseKpis(
      responses.map((r) => ({ priority: r.priority, receivedAt: r.received_at.getTime(), dispatchedAt: r.dispatched_at?.getTime() ?? null, onSceneAt: r.on_scene_at?.getTime() ?? null })),
      targets,
    ),
    violations: { confirmed: n('violation_confirmed'), rejected: n('violation_rejected') },
    fraudPrevented: { calls: n('fraud_prevented_call'), transactions: n('fraud_prevented_transaction') },
  };
}
