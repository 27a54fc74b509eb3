import { type Column, PagedTable } from '../components/PagedTable.tsx';
import { formatDateTime } from '../lib/format.ts';
import { useLang } from '../lib/lang.tsx';
import { isReportStatus } from '../lib/reports.ts';
import { categoryName, useCategories } from '../lib/useCategories.ts';
import { usePaged } from '../lib/usePaged.ts';
import { PriorityBadge } from './ops/Badges.tsx';

interface ReportRow {
  id: string;
  category: string;
  priority: string;
  status: string;
  statusNote: string | null;
  channel: string;
  kato: string | null;
  description: string | null;
  mediaCount: number;
  incidentId: string | null;
  duplicateOf: string | null;
  flagged: boolean;
  falseReport: boolean;
  submittedAt: string;
}

/** Citizen reports in the user's jurisdiction, newest first (`GET /api/v1/reports`, no contact details). */
export function ReportsPage() {
  const { t, lang } = useLang();
  const categories = useCategories();
  const list = usePaged<ReportRow>('/api/v1/reports?limit=50');
  const columns: Column<ReportRow>[] = [
    { key: 'at', label: 'reports.submitted', render: (r) => formatDateTime(r.submittedAt, lang) },
    {
      key: 'category',
      label: 'reports.category',
      render: (r) => (
        <>
          <PriorityBadge priority={r.priority} /> {categoryName(categories, r.category, lang)}
          {r.description && <div className="muted small">{r.description}</div>}
        </>
      ),
    },
    {
      key: 'status',
      label: 'reports.status',
      render: (r) => (
        <>
          {isReportStatus(r.status) ? t(`rstatus.${r.status}`) : r.status}
          {r.statusNote && <div className="muted small">{r.statusNote}</div>}
        </>
      ),
    },
    { key: 'channel', label: 'reports.channel', render: (r) => <code>{r.channel}</code> },
    { key: 'kato', label: 'map.kato', render: (r) => r.kato ?? '—' },
    { key: 'media', label: 'reports.media', render: (r) => r.mediaCount, className: 'num' },
    {
      key: 'marks',
      label: 'reports.marks',
      render: (r) =>
        [r.duplicateOf && t('reports.duplicate'), r.flagged && t('reports.flagged'), r.falseReport && t('reports.false')]
          .filter(Boolean)
          .join(', ') || '—',
    },
  ];
  return (
    <div className="page" data-page="reports">
      <h1>{t('nav.reports')}</h1>
      <PagedTable
        testId="reports-table"
        columns={columns}
        rows={list.items}
        rowKey={(r) => r.id}
        loading={list.loading}
        error={list.error}
        hasMore={list.nextCursor != null}
        onMore={list.loadMore}
      />
    </div>
  );
}
