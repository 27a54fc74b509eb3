import { useEffect, useRef, useState } from 'react';
import { PhotoError, preparePhoto, type PreparedPhoto } from '../../lib/image.ts';
import { useLang } from '../../lib/lang.tsx';
import { Icon } from '../../components/Icon.tsx';

interface Props {
  value: PreparedPhoto | null;
  onChange: (p: PreparedPhoto | null) => void;
  error?: string;
}

/** One optional photo from the camera (or the gallery), shrunk in the browser before it is sent. */
export function PhotoField({ value, onChange, error }: Props) {
  const { t } = useLang();
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => () => {
    if (value) URL.revokeObjectURL(value.previewUrl);
  }, [value]);

  async function choose(file: File | undefined) {
    if (!file) return;
    setBusy(true);
    setProblem(null);
    try {
      onChange(await preparePhoto(file));
    } catch (e) {
      setProblem(t(e instanceof PhotoError && e.reason === 'tooLarge' ? 'report.photoTooLarge' : 'report.photoUnreadable'));
    } finally {
      setBusy(false);
      if (input.current) input.current.value = '';
    }
  }

  return (
    <div className="photo-field">
      <input
        ref={input}
        id="report-photo"
        className="visually-hidden"
        type="file"
        accept="image/*"
        capture="environment"
        onChange={(e) => void choose(e.target.files?.[0])}
      />
      {value ? (
        <div className="photo-preview" data-testid="photo-preview">
          <img src={value.previewUrl} alt={t('report.photoAlt')} width={96} height={96} />
          <span className="muted small">
            {t('report.photoSize', { kb: Math.round(value.bytes / 1024), w: value.width, h: value.height })}
          </span>
          <button type="button" onClick={() => onChange(null)}>
            {t('report.photoRemove')}
          </button>
        </div>
      ) : (
        <label htmlFor="report-photo" className="button-like" aria-busy={busy}>
          <Icon name="camera" /> {busy ? t('report.photoPreparing') : t('report.photoAdd')}
        </label>
      )}
      {(problem ?? error) && (
        <p className="field-error" role="alert">
          {problem ?? error}
        </p>
      )}
    </div>
  );
}
