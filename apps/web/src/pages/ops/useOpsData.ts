import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  type Alert,
  DISPATCH_SUBJECTS,
  dispatchApi,
  FINAL_STATUSES,
  type IncidentSummary,
  queueOrder,
  subjectId,
  type Unit,
} from '../../lib/dispatch.ts';
import { uuid } from '../../lib/ids.ts';
import { throttle } from '../../lib/throttle.ts';
import { type StreamEvent, type StreamState, useEventStream } from '../../lib/useEventStream.ts';
import { useInterval } from '../../lib/useInterval.ts';

export interface OpsData {
  /** Open incidents in queue order. */
  queue: IncidentSummary[];
  /** Cleared by the unit, waiting for the operator to close them. */
  cleared: IncidentSummary[];
  units: Unit[];
  /** Open (unacknowledged) alerts, newest first; panics among them get the red banner. */
  alerts: Alert[];
  acknowledge: (alertId: string) => Promise<void>;
  error: unknown;
  stream: StreamState;
  /** Bumped for an incident whenever a live event says it changed (the detail panel refetches). */
  versions: Record<string, number>;
  refresh: () => void;
}

/**
 * The console's state: incidents, units and alerts from the API, kept fresh by the live stream (a burst of
 * events costs at most one refetch of a list per 300 ms; a position moves its unit in place), with a slow poll
 * behind it in case the stream drops.
 */
export function useOpsData(): OpsData {
  const [incidents, setIncidents] = useState<IncidentSummary[]>([]);
  const [units, setUnits] = useState<Unit[]>([]);
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [versions, setVersions] = useState<Record<string, number>>({});

  const loadIncidents = useCallback(async () => {
    try {
      setIncidents(await dispatchApi.incidents());
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);
  const loadUnits = useCallback(async () => {
    try {
      setUnits(await dispatchApi.units());
    } catch (e) {
      setError(e);
    }
  }, []);
  const loadAlerts = useCallback(async () => {
    try {
      setAlerts(await dispatchApi.alerts());
    } catch {
      // alerts are a side panel: the queue and the map matter more
    }
  }, []);

  const throttled = useRef<Record<'incidents' | 'units' | 'alerts', ReturnType<typeof throttle>> | null>(null);
  throttled.current ??= {
    incidents: throttle(() => void loadIncidents(), 300),
    units: throttle(() => void loadUnits(), 300),
    alerts: throttle(() => void loadAlerts(), 300),
  };
  useEffect(
    () => () => {
      for (const t of Object.values(throttled.current ?? {})) t.cancel();
    },
    [],
  );

  const refresh = useCallback(() => {
    void loadIncidents();
    void loadUnits();
    void loadAlerts();
  }, [loadIncidents, loadUnits, loadAlerts]);

  useEffect(() => {
    refresh();
  }, [refresh]);

  const onEvent = useCallback((e: StreamEvent) => {
    const t = throttled.current!;
    const d = e.data;
    if (e.subject.startsWith('dispatch.incident.')) {
      const id = subjectId(d, 'incident');
      if (id) setVersions((v) => ({ ...v, [id]: (v[id] ?? 0) + 1 }));
      t.incidents();
    } else if (e.subject === 'dispatch.unit.position') {
      const id = subjectId(d, 'unit');
      const lon = typeof d.lon === 'number' ? d.lon : null;
      const lat = typeof d.lat === 'number' ? d.lat : null;
      if (!id || lon === null || lat === null) return t.units();
      setUnits((us) =>
        us.map((u) =>
          u.id === id
            ? {
                ...u,
                position: { lon, lat },
                lastSeenAt: typeof d.at === 'string' ? d.at : u.lastSeenAt,
                battery: typeof d.battery === 'number' ? d.battery : u.battery,
                stale: false,
              }
            : u,
        ),
      );
    } else if (e.subject.startsWith('dispatch.unit.')) {
      t.units();
    } else if (e.subject.startsWith('dispatch.alert.')) {
      t.alerts();
      // The banner sounds when the panic shows (PanicBanner), whichever way it arrived.
      if (e.subject === 'dispatch.alert.raised' && d.kind === 'panic') t.incidents();
    }
  }, []);
  const stream = useEventStream('dispatch.>', DISPATCH_SUBJECTS, onEvent);

  // Behind the stream: every 5 s while it is down, every 30 s while it is up.
  useInterval(refresh, stream === 'open' ? 30_000 : 5_000);

  const acknowledge = useCallback(
    async (alertId: string) => {
      setAlerts((as) => as.filter((a) => a.id !== alertId));
      try {
        await dispatchApi.acknowledge(alertId, uuid());
      } finally {
        void loadAlerts();
      }
    },
    [loadAlerts],
  );

  const queue = useMemo(() => incidents.filter((i) => !FINAL_STATUSES.includes(i.status)).sort(queueOrder), [incidents]);
  const cleared = useMemo(() => incidents.filter((i) => i.status === 'CLEARED').sort(queueOrder), [incidents]);

  return { queue, cleared, units, alerts, acknowledge, error, stream, versions, refresh };
}
