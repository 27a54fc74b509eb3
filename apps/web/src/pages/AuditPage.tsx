import { PagedTable, type Column } from '../components/PagedTable.tsx';
import { formatDateTime } from '../lib/format.ts';
import { useLang } from '../lib/lang.tsx';
import { usePaged } from '../lib/usePaged.ts';

interface AuditRow {
  seq: number | string;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entityId: string;
  jurisdiction: string | null;
  hash: string;
}

export function AuditPage() {
  const { t, lang } = useLang();
  const list = usePaged<AuditRow>('/api/v1/audit?limit=50');
  const columns: Column<AuditRow>[] = [
    { key: 'seq', label: 'audit.seq', render: (a) => a.seq, className: 'num' },
    { key: 'at', label: 'audit.at', render: (a) => formatDateTime(a.at, lang) },
    { key: 'actor', label: 'audit.actor', render: (a) => a.actor },
    { key: 'action', label: 'audit.action', render: (a) => <code>{a.action}</code> },
    { key: 'entity', label: 'audit.entity', render: (a) => `${a.entity} ${a.entityId}` },
    { key: 'jurisdiction', label: 'audit.jurisdiction', render: (a) => a.jurisdiction ?? '—' },
    {
      key: 'hash',
      label: 'audit.hash',
      render: (a) => <code title={a.hash}>{a.hash.slice(0, 12)}…</code>,
      className: 'hash',
    },
  ];
  return (
    <div className="page" data-page="audit">
      <h1>{t('audit.title')}</h1>
      <PagedTable
        testId="audit-table"
        columns={columns}
        rows={list.items}
        rowKey={(a) => String(a.seq)}
        loading={list.loading}
        error={list.error}
        hasMore={list.nextCursor != null}
        onMore={list.loadMore}
      />
    </div>
  );
}
