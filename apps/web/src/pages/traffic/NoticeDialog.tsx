import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { useLang } from '../../lib/lang.tsx';
import { trafficApi } from '../../lib/traffic.ts';

/**
 * The printable notice of a confirmed violation (`GET …/notice.html` in the interface language). The route needs the
 * officer's token, which a plain link cannot send, so the page is fetched and shown in a frame: «Печать» prints
 * it, «Открыть отдельно» opens it in a tab of its own (a blob URL, same origin).
 */
export function NoticeDialog({ id, onClose }: { id: string; onClose: () => void }) {
  const { t, lang } = useLang();
  const [html, setHtml] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const frame = useRef<HTMLIFrameElement>(null);
  const closeBtn = useRef<HTMLButtonElement>(null);
  const close = useRef(onClose);
  close.current = onClose;

  useEffect(() => {
    let live = true;
    setHtml(null);
    trafficApi
      .noticeHtml(id, lang)
      .then((h) => live && setHtml(h))
      .catch((e: unknown) => live && setError(e));
    return () => {
      live = false;
    };
  }, [id, lang]);

  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    closeBtn.current?.focus();
    const on = (e: KeyboardEvent) => {
      if (e.key === 'Escape') close.current();
    };
    window.addEventListener('keydown', on);
    return () => {
      window.removeEventListener('keydown', on);
      before?.focus?.();
    };
  }, []);

  const openSeparately = () => {
    if (!html) return;
    const url = URL.createObjectURL(new Blob([html], { type: 'text/html;charset=utf-8' }));
    window.open(url, '_blank', 'noopener');
    window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };

  return (
    <div className="modal-backdrop">
      <div className="modal notice-dialog" role="dialog" aria-modal="true" aria-labelledby="notice-title" data-testid="notice-dialog">
        <div className="panel-head">
          <h2 id="notice-title">{t('traffic.notice')}</h2>
          <button type="button" className="close" ref={closeBtn} onClick={onClose} aria-label={t('map.close')}>
            ×
          </button>
        </div>
        {error != null && (
          <div role="alert" className="alert">
            {errorMessage(error, t)}
          </div>
        )}
        {html == null && error == null && <p className="muted">{t('page.loading')}</p>}
        {html != null && (
          <>
            <iframe ref={frame} className="notice-frame" title={t('traffic.notice')} srcDoc={html} data-testid="notice-frame" />
            <div className="button-row">
              <button type="button" className="primary" onClick={() => frame.current?.contentWindow?.print()} data-action="print">
                {t('traffic.print')}
              </button>
              <button type="button" onClick={openSeparately} data-action="open-tab">
                {t('traffic.openSeparately')}
              </button>
              <button type="button" onClick={onClose}>
                {t('map.close')}
              </button>
            </div>
          </>
        )}
      </div>
    </div>
  );
}
