import { isMessageKey } from '../../i18n.ts';
import type { Translate } from '../../lib/lang.tsx';
import { useLang } from '../../lib/lang.tsx';
import { PRIORITY_COLOURS, STALE_COLOUR, UNIT_COLOURS } from './opsLayers.ts';

/** A message for a code the catalogue may not know yet (a status added on the server): the code itself then. */
export function codeLabel(t: Translate, prefix: string, code: string): string {
  const key = `${prefix}.${code}`;
  return isMessageKey(key) ? t(key) : code;
}

export function PriorityBadge({ priority }: { priority: string }) {
  const { t } = useLang();
  return (
    <span
      className="badge prio"
      data-priority={priority}
      style={{ background: PRIORITY_COLOURS[priority] ?? '#64748b' }}
      title={codeLabel(t, 'priority', priority)}
    >
      {priority}
    </span>
  );
}

export function IncidentStatusLabel({ status }: { status: string }) {
  const { t } = useLang();
  return (
    <span className="status" data-status={status}>
      {codeLabel(t, 'istatus', status)}
    </span>
  );
}

export function UnitStatusBadge({ status, stale }: { status: string; stale?: boolean }) {
  const { t } = useLang();
  return (
    <span
      className="badge unit"
      style={{ background: stale ? STALE_COLOUR : (UNIT_COLOURS[status] ?? '#64748b') }}
      data-status={status}
    >
      {codeLabel(t, 'ustatus', status)}
    </span>
  );
}
