import { useCallback, useEffect, useState } from 'react';
import { unlockAudioOnGesture } from '../../lib/beep.ts';
import type { Unit } from '../../lib/dispatch.ts';
import { errorMessage } from '../../lib/errors.ts';
import { useLang } from '../../lib/lang.tsx';
import type { SessionUser } from '../../lib/session.ts';
import { useCategories } from '../../lib/useCategories.ts';
import { useNow } from '../../lib/useInterval.ts';
import { hasPermission } from '../../sections.ts';
import { AlertList } from './AlertList.tsx';
import { IncidentDetail } from './IncidentDetail.tsx';
import { IncidentQueue } from './IncidentQueue.tsx';
import { NewCallForm } from './NewCallForm.tsx';
import { OpsMap } from './OpsMap.tsx';
import { PanicBanner } from './PanicBanner.tsx';
import { UnitBoard } from './UnitBoard.tsx';
import { useOpsData } from './useOpsData.ts';

/** The operations control centre: queue, live map, incident detail and the unit board on one screen. */
export default function OpsPage({ user }: { user: SessionUser }) {
  const { t } = useLang();
  const data = useOpsData();
  const categories = useCategories();
  const now = useNow(1000);
  const [selected, setSelected] = useState<string | null>(null);
  const [focus, setFocus] = useState<{ lon: number; lat: number; n: number } | null>(null);
  // A 102 call being entered: the right pane holds its form and a map click gives its place.
  const [newCall, setNewCall] = useState(false);
  const [picked, setPicked] = useState<{ lon: number; lat: number } | null>(null);
  // An incident being put where it really is: a map click gives its new place.
  const [relocating, setRelocating] = useState<string | null>(null);
  const canCreate = hasPermission(user.permissions, 'dispatch:write');
  const picking = newCall || relocating !== null;

  useEffect(() => unlockAudioOnGesture(), []);

  const fly = useCallback((p: { lon: number; lat: number }) => setFocus((f) => ({ ...p, n: (f?.n ?? 0) + 1 })), []);
  const select = useCallback(
    (id: string) => {
      setSelected(id);
      setRelocating(null);
      const i = data.queue.find((x) => x.id === id);
      if (i) fly(i.location);
    },
    [data.queue, fly],
  );
  const pickUnit = useCallback((u: Unit) => u.position && fly(u.position), [fly]);
  const ack = useCallback((id: string) => void data.acknowledge(id), [data.acknowledge]);
  const panics = data.alerts.filter((a) => a.kind === 'panic');
  const timers = data.alerts.filter((a) => a.kind !== 'panic');

  return (
    <div className="ops" data-page="ops">
      <h1 className="visually-hidden">{t('nav.dispatch')}</h1>
      <PanicBanner panics={panics} units={data.units} onOpen={select} onAcknowledge={ack} />
      <div className="ops-grid">
        <aside className="ops-left">
          <p className={`stream-state ${data.stream}`} data-testid="stream-state" data-state={data.stream}>
            <span aria-hidden="true">●</span> {t(`stream.${data.stream}`)}
          </p>
          {data.error != null && (
            <div role="alert" className="alert">
              {errorMessage(data.error, t)}
            </div>
          )}
          {canCreate && (
            <button
              type="button"
              className="primary new-call-button"
              data-action="new-call"
              onClick={() => {
                setNewCall(true);
                setPicked(null);
                setSelected(null);
                setRelocating(null);
              }}
            >
              {t('ops.newCall')}
            </button>
          )}
          <AlertList alerts={timers} units={data.units} now={now} onOpen={select} onAcknowledge={ack} />
          <IncidentQueue queue={data.queue} cleared={data.cleared} selected={selected} onSelect={select} categories={categories} now={now} />
        </aside>
        <div className="ops-center">
          <div className="map-area ops-map">
            <OpsMap
              incidents={data.queue}
              units={data.units}
              selected={selected}
              onSelect={select}
              jurisdictions={user.jurisdictions}
              focus={focus}
              onPick={picking ? setPicked : null}
              picked={picking ? picked : null}
            />
          </div>
          <UnitBoard units={data.units} now={now} onPick={pickUnit} />
        </div>
        <aside className="ops-right">
          {newCall ? (
            <NewCallForm
              categories={categories}
              picked={picked}
              onPick={setPicked}
              onFound={(p) => {
                setPicked(p);
                fly(p);
              }}
              onCancel={() => setNewCall(false)}
              onCreated={(inc) => {
                setNewCall(false);
                setPicked(null);
                data.refresh();
                setSelected(inc.id);
                fly(inc.location);
              }}
            />
          ) : selected ? (
            <IncidentDetail
              key={selected}
              id={selected}
              version={data.versions[selected] ?? 0}
              others={data.queue}
              categories={categories}
              now={now}
              canMarkFalse={hasPermission(user.permissions, 'reports:write')}
              relocation={
                canCreate
                  ? {
                      active: relocating === selected,
                      picked: relocating === selected ? picked : null,
                      start: () => {
                        setPicked(null);
                        setRelocating(selected);
                      },
                      stop: () => {
                        setRelocating(null);
                        setPicked(null);
                      },
                    }
                  : null
              }
              onClose={() => {
                setSelected(null);
                setRelocating(null);
              }}
              onChanged={data.refresh}
              onMoved={fly}
            />
          ) : (
            <p className="muted hint">{t('ops.selectHint')}</p>
          )}
        </aside>
      </div>
    </div>
  );
}
