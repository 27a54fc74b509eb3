import { lazy, Suspense, useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { formatLatLon } from '../../lib/format.ts';
import { isValidPoint } from '../../lib/geoMath.ts';
import { useLang } from '../../lib/lang.tsx';
import { Icon } from '../../components/Icon.tsx';
import { loadPickerBoundaries } from '../../map/pickerBoundaries.ts';

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

/**
 * Where it happened: the phone's position first; a map or typed coordinates when the phone can't or won't tell.
 * Whichever the citizen used last wins: a position the phone finds after a tap on the map or typed coordinates is
 * dropped, and a tap after "locate again" replaces the phone's position.
 */
export function LocationField({ value, onChange, error }: Props) {
  const { t, lang } = useLang();
  const [gps, setGps] = useState<GpsState>('locating');
  const [mode, setMode] = useState<'none' | 'map' | 'manual'>('none');
  const [lat, setLat] = useState('');
  const [lon, setLon] = useState('');
  const [manualError, setManualError] = useState(false);
  /** Bumped by every way of setting the place; a position request answers only if nothing came after it. */
  const lastChoice = useRef(0);
  const chose = useRef(false);

  const locate = useCallback(() => {
    const ticket = ++lastChoice.current;
    if (!('geolocation' in navigator)) {
      setGps('unavailable');
      return;
    }
    setGps('locating');
    navigator.geolocation.getCurrentPosition(
      (p) => {
        setGps('done');
        if (ticket === lastChoice.current)
          onChange({ lon: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy, source: 'gps' });
      },
      (err) => setGps(err.code === err.PERMISSION_DENIED ? 'denied' : 'unavailable'),
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 60_000 },
    );
  }, [onChange]);

  useEffect(() => {
    locate();
  }, [locate]);

  // No position from the phone and nothing chosen yet: open the map, which is then the quickest way.
  useEffect(() => {
    if ((gps === 'denied' || gps === 'unavailable') && !value && !chose.current) setMode('map');
  }, [gps, value]);

  // The boundaries start downloading with the map's code, not after it.
  useEffect(() => {
    if (mode === 'map') loadPickerBoundaries().catch(() => {});
  }, [mode]);

  // The typed fields show the current point, so that it can be corrected by hand (not while the citizen types).
  const modeRef = useRef(mode);
  modeRef.current = mode;
  useEffect(() => {
    if (!value || value.source === 'manual' || modeRef.current === 'manual') return;
    setLat(value.lat.toFixed(5));
    setLon(value.lon.toFixed(5));
    setManualError(false);
  }, [value]);

  const pickOnMap = useCallback(
    (lo: number, la: number) => {
      lastChoice.current++;
      onChange({ lon: lo, lat: la, source: 'map' });
    },
    [onChange],
  );

  function switchMode(next: 'map' | 'manual') {
    chose.current = true;
    setMode(mode === next ? 'none' : next);
  }

  function applyManual(e: FormEvent) {
    e.preventDefault();
    const la = Number(lat.replace(',', '.'));
    const lo = Number(lon.replace(',', '.'));
    if (!lat.trim() || !lon.trim() || !isValidPoint(lo, la)) {
      setManualError(true);
      return;
    }
    setManualError(false);
    lastChoice.current++;
    onChange({ lon: lo, lat: la, source: 'manual' });
  }

  return (
    <div className="location-field" data-testid="location" data-state={value ? 'set' : gps}>
      {value ? (
        <p className="location-value" data-testid="location-value" data-source={value.source} data-lon={value.lon} data-lat={value.lat}>
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
        <button type="button" aria-pressed={mode === 'map'} onClick={() => switchMode('map')} data-testid="pick-on-map">
          {t('loc.pickOnMap')}
        </button>
        <button type="button" aria-pressed={mode === 'manual'} onClick={() => switchMode('manual')}>
          {t('loc.manual')}
        </button>
      </div>
      {mode === 'map' && (
        <>
          <p className="muted small">{t('loc.mapHint')}</p>
          {/* The same footprint while MapLibre downloads, so that the form below does not jump. */}
          <Suspense
            fallback={
              <div className="point-picker-frame">
                <div className="point-picker" data-testid="point-picker" data-state="loading" />
                <p className="point-picker-status muted small">{t('loc.mapLoading')}</p>
              </div>
            }
          >
            <PointPicker key={lang} value={value} onPick={pickOnMap} />
          </Suspense>
        </>
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
