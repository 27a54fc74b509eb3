import { useRef, useState } from 'react';
import { api } from '../../lib/api.ts';
import { errorMessage } from '../../lib/errors.ts';
import { useLang } from '../../lib/lang.tsx';

/**
 * Bulk indicators for an analyst: export those in force as NDJSON (a file the partners' systems read; the export is
 * audited), and import a file of them — one indicator per line, as `POST /indicators` takes it — all or nothing: a
 * refusal names each bad line and stores none.
 */
export function BulkIndicators({ canWrite, onImported }: { canWrite: boolean; onImported: () => void }) {
  const { t } = useLang();
  const file = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const exportAll = async () => {
    setBusy(true);
    setError(null);
    try {
      const text = await api<string>('/api/v1/fraud/indicators/export', { responseType: 'text' });
      const url = URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `tartip-indicators-${new Date().toISOString().slice(0, 10)}.ndjson`;
      a.click();
      URL.revokeObjectURL(url);
      setNotice(t('fraud.exported', { n: text.split('\n').filter(Boolean).length }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const importFile = async (f: File) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const r = await api<{ imported: number }>('/api/v1/fraud/indicators/import', { method: 'POST', body: await f.text(), contentType: 'application/x-ndjson' });
      setNotice(t('fraud.imported', { n: r.imported }));
      onImported();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      if (file.current) file.current.value = '';
    }
  };

  return (
    <div className="bulk-indicators" data-testid="bulk-indicators">
      <button type="button" onClick={() => void exportAll()} disabled={busy} data-action="export-indicators">
        {t('fraud.export')}
      </button>
      {canWrite && (
        <label className="button-like">
          {t('fraud.import')}
          <input
            ref={file}
            type="file"
            accept=".ndjson,.jsonl,application/x-ndjson"
            className="visually-hidden"
            data-testid="import-indicators"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void importFile(f);
            }}
          />
        </label>
      )}
      {notice && (
        <p className="message" role="status" data-testid="bulk-notice">
          {notice}
        </p>
      )}
      {error != null && (
        <div role="alert" className="alert" data-testid="bulk-error">
          {errorMessage(error, t)}
        </div>
      )}
    </div>
  );
}
