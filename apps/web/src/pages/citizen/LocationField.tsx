import { lazy, Suspense, useCallback, useEffect, useState, type FormEvent } from 'react';
import { formatLatLon } from '../../lib/format.ts';
import { isValidPoint } from '../../lib/geoMath.ts';
import { useLang } from '../../lib/lang.tsx';
import { Icon } from '../../components/Icon.tsx';

// MapLibre is ~1 MB: a citizen whose phone gives a position never downloads it.
const PointPicker = lazy(() => import('./PointPicker.tsx'));

export interface PickedLocation {
  lon: number;
  lat: number;
  /** Metres, when the phone reported it. */
  accuracy?: number;
  source: 'gps' | 'map' | 'manual';
}

type GpsState = 'locating' | 'done' | 'denied' | 'unavailable';

interface Props {
  value: PickedLocation | null;
  onChange: (v: PickedLocation) => void;
  error?: string;
}

/** Where it happened: the phone's position first; a map or typed coordinates when the phone can't or won't tell. */
export function LocationField({ value, onChange, error }: Props) {
  const { t } = useLang();
  const [gps, setGps] = useState<GpsState>('locating');
  const [mode, setMode] = useState<'none' | 'map' | 'manual'>('none');
  const [lat, setLat] = useState('');
  const [lon, setLon] = useState('');
  const [manualError, setManualError] = useState(false);

  const locate = useCallback(() => {
    if (!('geolocation' in navigator)) {
      setGps('unavailable');
      return;
    }
    setGps('locating');
    navigator.geolocation.getCurrentPosition(
      (p) => {
        setGps('done');
        onChange({ lon: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy, source: 'gps' });
      },
      (err) => setGps(err.code === err.PERMISSION_DENIED ? 'denied' : 'unavailable'),
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 60_000 },
    );
  }, [onChange]);

  useEffect(() => {
    locate();
  }, [locate]);

  function applyManual(e: FormEvent) {
    e.preventDefault();
    const la = Number(lat.replace(',', '.'));
    const lo = Number(lon.replace(',', '.'));
    if (!lat.trim() || !lon.trim() || !isValidPoint(lo, la)) {
      setManualError(true);
      return;
    }
    setManualError(false);
    onChange({ lon: lo, lat: la, source: 'manual' });
  }

  return (
    <div className="location-field" data-testid="location" data-state={value ? 'set' : gps}>
      {value ? (
        <p className="location-value" data-testid="location-value">
          <Icon name="pin" /> {t(`loc.source.${value.source}`)}: {formatLatLon(value.lat, value.lon)}
          {value.accuracy != null && <span className="muted"> · {t('loc.accuracy', { m: Math.round(value.accuracy) })}</span>}
        </p>
      ) : gps === 'locating' ? (
        <p className="muted">{t('loc.locating')}</p>
      ) : (
        <p className="notice">{t(gps === 'denied' ? 'loc.denied' : 'loc.unavailable')}</p>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="location-actions">
        <button type="button" onClick={locate} disabled={gps === 'locating'}>
          {t('loc.retry')}
        </button>
        <button type="button" aria-pressed={mode === 'map'} onClick={() => setMode(mode === 'map' ? 'none' : 'map')}>
          {t('loc.pickOnMap')}
        </button>
        <button type="button" aria-pressed={mode === 'manual'} onClick={() => setMode(mode === 'manual' ? 'none' : 'manual')}>
          {t('loc.manual')}
        </button>
      </div>
      {mode === 'map' && (
        <Suspense fallback={<p className="muted">{t('page.loading')}</p>}>
          <p className="muted small">{t('loc.mapHint')}</p>
          <PointPicker value={value} onPick={(lo, la) => onChange({ lon: lo, lat: la, source: 'map' })} />
        </Suspense>
      )}
      {mode === 'manual' && (
        // Not a nested <form>: the report form wraps this field.
        <fieldset className="manual-coords">
          <legend className="visually-hidden">{t('loc.manual')}</legend>
          <label>
            {t('loc.lat')}
            <input inputMode="decimal" value={lat} onChange={(e) => setLat(e.target.value)} placeholder="43.25670" />
          </label>
          <label>
            {t('loc.lon')}
            <input inputMode="decimal" value={lon} onChange={(e) => setLon(e.target.value)} placeholder="76.92860" />
          </label>
          <button type="button" onClick={applyManual}>
            {t('loc.apply')}
          </button>
          {manualError && (
            <p className="field-error" role="alert">
              {t('loc.invalid')}
            </p>
          )}
        </fieldset>
      )}
    </div>
  );
}
