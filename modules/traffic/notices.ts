import { Problem } from '../../packages/kernel/src/errors.ts';
import { type Locale, t } from '../../packages/kernel/src/i18n/index.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { CommandContext } from '../../packages/kernel/src/outbox.ts';
import { buildNotice, type Notice } from './domain/notice.ts';
import { partAt } from './domain/penalties.ts';
import { runtime } from './runtime.ts';
import { getViolation } from './violations.ts';

/**
 * The notice of a confirmed violation, with the owner from the vehicle register (the vehicles part's
 * OwnerLookup; until there is one, "owner unknown"). Reading it is a read of personal data: audited.
 */
export async function noticeOf(kernel: Kernel, ctx: CommandContext, jurisdictions: string[], id: string, locale: Locale): Promise<Notice> {
  const rt = runtime(kernel);
  await rt.load(kernel);
  const v = await getViolation(kernel, id, jurisdictions);
  if (v.status !== 'CONFIRMED' || !v.notice_number) throw new Problem('traffic.not_confirmed', { status: v.status }, [], 409);
  const at = new Date(v.at).toISOString();
  const owner = await rt.ownerLookup.ownerOf(v.plate, at);
  const camera = v.camera_id ? rt.cameras.get(v.camera_id) : undefined;
  const section = v.section_id ? rt.sections.get(v.section_id) : undefined;
  const evidence = v.evidence as { images?: unknown; reads?: { role?: 'entry' | 'exit' | 'read'; cameraCode?: string; at?: string }[] };
  const images = Array.isArray(evidence.images) ? evidence.images.filter((u): u is string => typeof u === 'string') : [];
  const reads = Array.isArray(evidence.reads)
    ? evidence.reads.map((r) => ({
        role: r.role === 'entry' || r.role === 'exit' ? r.role : ('read' as const),
        camera: String(r.cameraCode ?? ''),
        at: String(r.at ?? ''),
      }))
    : [];
  const notice = buildNotice(
    {
      number: v.notice_number,
      issuedAt: new Date(v.decided_at ?? v.recorded_at).toISOString(),
      confirmedBy: v.decided_by ?? '',
      violation: { id: v.id, kind: v.kind, at, plate: v.plate, country: v.country, speedKmh: v.speed_kmh, limitKmh: v.limit_kmh, ruleVersion: v.rule_version },
      camera: camera ? { code: camera.code, name: camera.name, lon: camera.lon, lat: camera.lat, kato: camera.kato } : null,
      section: section ? { name: section.name, lengthM: section.lengthM } : null,
      penalty: v.penalty,
      part: v.penalty.part ? partAt(v.penalty.part, new Date(v.at).getTime()) : null,
      owner,
      images,
      reads,
    },
    locale,
    (key, params) => t(locale, key, params),
  );
  await kernel.commands.run(ctx, async (uow) => {
    await uow.audit({ action: 'violation.notice_read', entity: 'traffic_violation', entityId: v.id, jurisdiction: v.kato, data: { noticeNumber: v.notice_number, ownerKnown: owner !== null } });
  });
  return notice;
}
