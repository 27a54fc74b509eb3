import type { ReactNode } from 'react';
import { errorMessage } from '../lib/errors.ts';
import { useLang } from '../lib/lang.tsx';
import type { MessageKey } from '../i18n.ts';

export interface Column<T> {
  key: string;
  label: MessageKey;
  render: (row: T) => ReactNode;
  className?: string;
}

interface Props<T> {
  testId: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  loading: boolean;
  error: unknown;
  hasMore: boolean;
  onMore: () => void;
}

/** A table with the loading / error / empty states and a "show more" button for cursor pages. */
export function PagedTable<T>({ testId, columns, rows, rowKey, loading, error, hasMore, onMore }: Props<T>) {
  const { t } = useLang();
  return (
    <>
      {error != null && (
        <div role="alert" className="alert">
          {errorMessage(error, t)}
        </div>
      )}
      <div className="table-wrap">
        <table data-testid={testId}>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c.key} scope="col" className={c.className}>
                  {t(c.label)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={rowKey(r)}>
                {columns.map((c) => (
                  <td key={c.key} className={c.className}>
                    {c.render(r)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {loading && <p className="muted">{t('page.loading')}</p>}
      {!loading && error == null && rows.length === 0 && <p className="muted">{t('page.empty')}</p>}
      {hasMore && !loading && (
        <button type="button" onClick={onMore}>
          {t('page.loadMore')}
        </button>
      )}
    </>
  );
}
