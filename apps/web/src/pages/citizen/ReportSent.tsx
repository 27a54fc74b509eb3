import { useLang } from '../../lib/lang.tsx';
import { localText, type ReportCreated } from '../../lib/reports.ts';
import { Icon } from '../../components/Icon.tsx';

/** After a 201: the server's notice and the tracking link to keep. */
export function ReportSent({ result, onAnother }: { result: ReportCreated; onAnother: () => void }) {
  const { t, lang } = useLang();
  const href = `#/track/${encodeURIComponent(result.trackingToken)}`;
  const notice = localText(result.notice, lang);
  return (
    <section className="report-sent" data-testid="report-sent" data-report-id={result.id}>
      <h1>
        <Icon name="check" className="ok" /> {t('report.sent')}
      </h1>
      {notice && (
        <p className="notice" data-testid="report-notice">
          {notice}
        </p>
      )}
      {result.duplicateOf && <p className="notice">{t('report.duplicate')}</p>}
      <p>{t('report.trackHint')}</p>
      <a className="button-like primary big" href={href} data-testid="track-link">
        {t('report.trackLink')}
      </a>
      <p className="muted small track-url">{`${window.location.origin}${window.location.pathname}${href}`}</p>
      <button type="button" onClick={onAnother}>
        {t('report.another')}
      </button>
    </section>
  );
}
