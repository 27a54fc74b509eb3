import { XMLBuilder } from 'fast-xml-parser';
import { type Locale, t } from '../../../packages/kernel/src/i18n/index.ts';
import { type Category, groupOf } from '../config/categories.ts';
import { open311Status, type ReportStatus } from './status.ts';

/**
 * Open311 GeoReport v2 shapes (pure): services, service definitions, requests, errors — as JSON values and as XML
 * documents with the standard's root elements (`services/service`, `service_definition`,
 * `service_requests/request`, `errors/error`, `discovery`).
 */

export type Format = 'json' | 'xml';

export interface Open311Service {
  service_code: string;
  service_name: string;
  description: string;
  metadata: boolean;
  type: 'realtime';
  keywords: string;
  group: string;
}

export function toService(c: Category, locale: Locale): Open311Service {
  return {
    service_code: c.code,
    service_name: c.name[locale],
    description: c.description[locale],
    metadata: c.attributes.length > 0,
    type: 'realtime',
    keywords: c.keywords.join(','),
    group: groupOf(c.group)?.name[locale] ?? c.group,
  };
}

export function toServiceDefinition(c: Category, locale: Locale) {
  return {
    service_code: c.code,
    attributes: [...c.attributes]
      .sort((a, b) => a.order - b.order)
      .map((a) => ({
        variable: true,
        code: a.code,
        datatype: a.datatype,
        required: a.required,
        datatype_description: null,
        order: a.order,
        description: a.description[locale],
        ...(a.values ? { values: a.values.map((v) => ({ key: v.key, name: v.name[locale] })) } : {}),
      })),
  };
}

/** What a request (report) shows through Open311. Location and text are left out unless `full` (see open311.ts). */
export interface RequestSource {
  id: string;
  category: Category;
  status: ReportStatus;
  statusNote: string | null;
  description: string | null;
  address: string | null;
  lat: number;
  lon: number;
  mediaUrl: string | null;
  submittedAt: string;
  updatedAt: string;
}

export function toRequest(r: RequestSource, locale: Locale, full: boolean) {
  return {
    service_request_id: r.id,
    status: open311Status(r.status),
    status_notes: r.statusNote,
    service_name: r.category.name[locale],
    service_code: r.category.code,
    description: full ? r.description : null,
    agency_responsible: t(locale, 'reports.agency'),
    service_notice: null,
    requested_datetime: r.submittedAt,
    updated_datetime: r.updatedAt,
    expected_datetime: null,
    address: full ? r.address : null,
    address_id: null,
    zipcode: null,
    lat: full ? r.lat : null,
    long: full ? r.lon : null,
    media_url: full ? r.mediaUrl : null,
  };
}

export interface Open311Error {
  code: number;
  description: string;
}

const builder = new XMLBuilder({ format: true, ignoreAttributes: true, suppressEmptyNode: false });

/** An XML document: `root` holding `item` elements (or a single object when `item` is null). */
export function xmlDocument(root: string, item: string | null, value: unknown): string {
  const body = item === null ? { [root]: value } : { [root]: { [item]: value } };
  return `<?xml version="1.0" encoding="utf-8"?>\n${builder.build(body)}`;
}

export const CONTENT_TYPE: Record<Format, string> = {
  json: 'application/json; charset=utf-8',
  xml: 'text/xml; charset=utf-8',
};

/** Parses Open311's form fields `attribute[CODE]` into `{ CODE: value }`; repeated or odd keys are reported. */
export function attributesOf(form: Record<string, unknown>): { answers: Record<string, string>; bad: string[] } {
  const answers: Record<string, string> = {};
  const bad: string[] = [];
  for (const [key, value] of Object.entries(form)) {
    const m = /^attribute\[([^\]]{1,64})\]$/.exec(key);
    if (!m) {
      if (key.startsWith('attribute')) bad.push(key);
      continue;
    }
    if (typeof value === 'string') answers[m[1]] = value;
    else bad.push(key);
  }
  return { answers, bad };
}

/** Form fields as a plain object: one value → string, repeated → array; empty values are absent (as clients send them). */
export function parseForm(raw: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  for (const [k, v] of new URLSearchParams(raw)) {
    if (v === '') continue;
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}
