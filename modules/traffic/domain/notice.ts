import type { Locale } from '../../../packages/kernel/src/i18n/index.ts';
import type { OwnerRecord } from '../contract.ts';
import type { ArticlePart } from '../config/penalties.ts';
import type { Penalty } from './penalties.ts';

/**
 * The notice to the owner of a vehicle whose violation an officer confirmed (pure): the same content as JSON
 * (for eGov, ERAP, a bank app) and as a printable page in Russian, Kazakh or English.
 */

export type Translate = (key: string, params?: Record<string, unknown>) => string;

export interface NoticeInput {
  number: string;
  issuedAt: string;
  confirmedBy: string;
  violation: {
    id: string;
    kind: string;
    at: string;
    plate: string;
    country: string | null;
    speedKmh: number | null;
    limitKmh: number | null;
    ruleVersion: string;
  };
  camera: { code: string; name: string; lon: number; lat: number; kato: string | null } | null;
  section: { name: string; lengthM: number } | null;
  penalty: Penalty;
  part: ArticlePart | null;
  owner: OwnerRecord | null;
  images: string[];
  reads: { role: 'entry' | 'exit' | 'read'; camera: string; at: string }[];
}

export interface Notice {
  number: string;
  issuedAt: string;
  locale: Locale;
  title: string;
  violation: {
    id: string;
    kind: string;
    description: string;
    at: string;
    plate: string;
    country: string | null;
    place: { camera: string; name: string; location: { lon: number; lat: number }; kato: string | null } | null;
    section: { name: string; lengthM: number } | null;
    speedKmh: number | null;
    limitKmh: number | null;
    excessKmh: number | null;
  };
  law: { part: string | null; article: string | null; title: string | null; rulesVersion: string; source: string };
  sanction: {
    type: Penalty['type'];
    text: string;
    fineMrp: number | null;
    mrpYear: number;
    mrpTenge: number | null;
    fineTenge: number | null;
    repeat: boolean;
  };
  owner: { known: true; kind: 'person' | 'organisation'; name: string; idNumber: string | null; address: string | null } | { known: false; text: string };
  vehicle: OwnerRecord['vehicle'];
  evidence: { images: string[]; reads: { role: string; camera: string; at: string }[]; ruleVersion: string };
  confirmedBy: string;
}

/** `592.3-1` → `{article: '592', part: '3-1'}`. */
export function splitPart(part: string): { article: string; part: string } {
  const i = part.indexOf('.');
  return i < 0 ? { article: part, part: '' } : { article: part.slice(0, i), part: part.slice(i + 1) };
}

const tenge = (v: number) => Math.round(v).toLocaleString('ru-RU').replace(/\u00a0/g, ' ');

export function buildNotice(input: NoticeInput, locale: Locale, t: Translate): Notice {
  const p = input.penalty;
  const v = input.violation;
  const law = p.part ? splitPart(p.part) : null;
  let sanctionText: string;
  if (p.type === 'fine' && p.fineMrp !== null) {
    sanctionText =
      p.fineTenge !== null && p.mrpTenge !== null
        ? t('traffic.notice.fine', { mrp: p.fineMrp, tenge: tenge(p.fineTenge), year: p.mrpYear, mrpTenge: tenge(p.mrpTenge) })
        : t('traffic.notice.fine_no_mrp', { mrp: p.fineMrp, year: p.mrpYear });
  } else if (p.type === 'warning') sanctionText = t('traffic.notice.warning');
  else sanctionText = t('traffic.notice.manual');
  if (p.repeatOf) sanctionText = `${sanctionText}. ${t('traffic.notice.repeat')}`;
  const kindKey = `traffic.kind.${v.kind}`;
  const description = t(kindKey) === kindKey ? v.kind : t(kindKey);
  return {
    number: input.number,
    issuedAt: input.issuedAt,
    locale,
    title: t('traffic.notice.title'),
    violation: {
      id: v.id,
      kind: v.kind,
      description,
      at: v.at,
      plate: v.plate,
      country: v.country,
      place: input.camera ? { camera: input.camera.code, name: input.camera.name, location: { lon: input.camera.lon, lat: input.camera.lat }, kato: input.camera.kato } : null,
      section: input.section,
      speedKmh: v.speedKmh,
      limitKmh: v.limitKmh,
      excessKmh: v.speedKmh !== null && v.limitKmh !== null ? Math.round((v.speedKmh - v.limitKmh) * 10) / 10 : null,
    },
    law: {
      part: p.part,
      article: law ? t('traffic.notice.article', law) : null,
      title: input.part ? input.part.title[locale] : null,
      rulesVersion: p.rulesVersion,
      source: input.part?.source ?? p.source,
    },
    sanction: { type: p.type, text: sanctionText, fineMrp: p.fineMrp, mrpYear: p.mrpYear, mrpTenge: p.mrpTenge, fineTenge: p.fineTenge, repeat: p.repeatOf !== null },
    owner: input.owner
      ? { known: true, kind: input.owner.owner.kind, name: input.owner.owner.name, idNumber: input.owner.owner.idNumber, address: input.owner.owner.address }
      : { known: false, text: t('traffic.notice.owner_unknown') },
    vehicle: input.owner?.vehicle ?? null,
    evidence: {
      images: input.images,
      reads: input.reads.map((r) => ({ role: t(`traffic.notice.role.${r.role}`), camera: r.camera, at: r.at })),
      ruleVersion: v.ruleVersion,
    },
    confirmedBy: input.confirmedBy,
  };
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);

/** A printable A4 page of the notice; every value is escaped. */
export function renderNoticeHtml(n: Notice, t: Translate): string {
  const e = escapeHtml;
  const row = (label: string, value: string) => `<tr><th>${e(label)}</th><td>${value}</td></tr>`;
  const when = (iso: string) => e(iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ''));
  const v = n.violation;
  const rows = [
    row(t('traffic.notice.offence'), e(v.description)),
    row(t('traffic.notice.when'), when(v.at)),
    v.place ? row(t('traffic.notice.where'), `${e(v.place.name)} (${e(v.place.camera)}; ${v.place.location.lat.toFixed(5)}, ${v.place.location.lon.toFixed(5)})`) : '',
    v.section ? row(t('traffic.notice.section'), `${e(v.section.name)}, ${e(t('traffic.notice.length', { km: (v.section.lengthM / 1000).toFixed(2) }))}`) : '',
    row(t('traffic.notice.plate'), `<strong>${e(v.plate)}</strong>${v.country ? ` (${e(v.country)})` : ''}`),
    n.vehicle ? row(t('traffic.notice.vehicle'), e([n.vehicle.make, n.vehicle.model, n.vehicle.colour].filter(Boolean).join(' '))) : '',
    v.speedKmh !== null ? row(t('traffic.notice.speed'), e(t('traffic.notice.kmh', { value: v.speedKmh }))) : '',
    v.limitKmh !== null ? row(t('traffic.notice.limit'), e(t('traffic.notice.kmh', { value: v.limitKmh }))) : '',
    row(t('traffic.notice.law'), `${e(n.law.article ?? '—')}${n.law.title ? `<br>${e(n.law.title)}` : ''}`),
    row(t('traffic.notice.sanction'), `<strong>${e(n.sanction.text)}</strong>`),
    row(
      t('traffic.notice.owner'),
      n.owner.known ? e([n.owner.name, n.owner.idNumber, n.owner.address].filter(Boolean).join(', ')) : `<em>${e(n.owner.text)}</em>`,
    ),
    row(
      t('traffic.notice.evidence'),
      [
        ...n.evidence.reads.map((r) => e(t('traffic.notice.read', { role: r.role, camera: r.camera, at: r.at }))),
        ...n.evidence.images.map((u) => `<a href="${e(u)}">${e(u)}</a>`),
      ].join('<br>'),
    ),
    row(t('traffic.notice.rule'), e(`${n.evidence.ruleVersion}; ${n.law.rulesVersion}`)),
    row(t('traffic.notice.confirmed'), e(n.confirmedBy)),
  ].filter(Boolean);
  return `<!doctype html>
<html lang="${e(n.locale)}">
<head>
<meta charset="utf-8">
<title>${e(n.title)} ${e(n.number)}</title>
<style>
  @page { size: A4; margin: 18mm; }
  body { font-family: "PT Sans", "Noto Sans", Arial, sans-serif; color: #111; max-width: 180mm; margin: 0 auto; }
  h1 { font-size: 16pt; margin: 0 0 4mm; }
  .meta { margin: 0 0 6mm; color: #333; }
  table { width: 100%; border-collapse: collapse; font-size: 11pt; }
  th, td { text-align: left; vertical-align: top; padding: 2mm 3mm; border-bottom: 1px solid #ccc; }
  th { width: 38%; font-weight: 600; }
  a { color: #114; word-break: break-all; }
</style>
</head>
<body>
<h1>${e(n.title)}</h1>
<p class="meta">${e(t('traffic.notice.number'))} <strong>${e(n.number)}</strong> · ${e(t('traffic.notice.issued'))}: ${when(n.issuedAt)}</p>
<table>
${rows.join('\n')}
</table>
</body>
</html>
`;
}
