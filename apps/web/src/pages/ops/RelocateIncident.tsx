import { useState } from 'react';
import { api } from '../../lib/api.ts';
import { isApproximate, type LocationPrecision } from '../../lib/dispatch.ts';
import type { LonLat } from '../../lib/geoMath.ts';
import { errorMessage } from '../../lib/errors.ts';
import { formatLatLon } from '../../lib/format.ts';
import { useLang } from '../../lib/lang.tsx';

/** The map's pick, owned by the page: while `active`, a click on the map sets `picked`. */
export interface Relocation {
  active: boolean;
  picked: LonLat | null;
  start: () => void;
  stop: () => void;
}

interface Props {
  incidentId: string;
  precision: LocationPrecision;
  relocation: Relocation;
  onMoved: (to: LonLat) => void;
}

/**
 * An incident whose place is only approximate (a report that gave an address the server could place no closer
 * than a street, a village or a district) says so; the operator, having called the reporter back, puts it where it
 * is with one click on the map. Any incident can be moved the same way (a caller who corrects where they are).
 */
export function RelocateIncident({ incidentId, precision, relocation, onMoved }: Props) {
  const { t } = useLang();
  const [address, setAddress] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function save() {
    const to = relocation.picked;
    if (!to) return;
    setBusy(true);
    setError(null);
    try {
      await api(`/api/v1/incidents/${encodeURIComponent(incidentId)}/location`, {
        method: 'POST',
        body: { location: to, ...(address.trim() ? { address: address.trim() } : {}) },
      });
      relocation.stop();
      setAddress('');
      onMoved(to);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="relocate" data-testid="relocate">
      {isApproximate(precision) && (
        <p className="notice" role="note" data-testid="approximate" data-precision={precision}>
          {t('ops.approximate', { precision: t(`ops.precision.${precision as 'street' | 'place' | 'district'}`) })}
        </p>
      )}
      {!relocation.active ? (
        <button type="button" onClick={relocation.start} data-action="relocate">
          {t('ops.relocate')}
        </button>
      ) : (
        <fieldset className="relocate-form">
          <legend>{t('ops.relocate')}</legend>
          <p className="muted small">{relocation.picked ? <code data-testid="relocate-picked">{formatLatLon(relocation.picked.lat, relocation.picked.lon)}</code> : t('ops.relocateHint')}</p>
          <label>
            {t('ops.relocateAddress')}
            <input value={address} maxLength={500} onChange={(e) => setAddress(e.target.value)} />
          </label>
          {error != null && (
            <p role="alert" className="field-error">
              {errorMessage(error, t)}
            </p>
          )}
          <div className="row">
            <button type="button" className="primary" disabled={!relocation.picked || busy} onClick={() => void save()} data-action="relocate-save">
              {t('ops.relocateSave')}
            </button>
            <button type="button" onClick={relocation.stop}>
              {t('ops.callCancel')}
            </button>
          </div>
        </fieldset>
      )}
    </div>
  );
}
