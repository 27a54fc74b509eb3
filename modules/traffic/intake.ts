import type { Subscriber } from '../../packages/kernel/src/module.ts';
import { PLATE_READ } from './events.ts';
import { ingestItems } from './ingest.ts';
import { runtime } from './runtime.ts';

/**
 * `traffic.plate.read` from other modules (the video module reading plates off CCTV): one read per event, in
 * any format the NDJSON intake accepts. Reads are idempotent by (camera, time, plate), so a redelivered event
 * stores nothing twice and needs no inbox row. A read the pipeline refuses (unknown camera, bad plate) is
 * logged and acknowledged — retrying would not make it valid.
 */
export const plateReadIntake: Subscriber = {
  subject: PLATE_READ,
  group: 'traffic.plate-read-intake',
  async handle(event, kernel) {
    const rt = runtime(kernel);
    rt.intake.busEvents++;
    const r = await ingestItems(kernel, [{ label: 'event.data', value: event.data }], { actor: 'bus', jurisdictions: null });
    if (r.rejected > 0) {
      rt.intake.busRejected++;
      kernel.log.warn({ eventId: event.id, errors: r.errors }, 'traffic: plate read from the bus refused');
    }
  },
};
