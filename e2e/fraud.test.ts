import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { messages } from '../apps/web/src/i18n.ts';
import { MESSAGES as SERVER_MESSAGES } from '../modules/fraud/messages.ts';
import { paysimSample } from '../modules/fraud/testing/paysim.ts';
import { demoToken, e2eEnvironment, openPage, signIn } from './browser.ts';

/**
 * The fraud analyst's back-office end to end, against the real server: the `fraud` analyst adds a phone number as a
 * block indicator in the screen (a bad number first: the server's field error under the field) → the demo operator
 * screens a call from it (blocked) and the demo bank a transfer to it from the called person (blocked: the payee is
 * listed, and a call from a listed number came just before a first transfer) → both confirm fraud → the decision log
 * shows them with their reasons explained (or, on a server without the list route, says so) → the prevented-loss
 * dashboard counts the sum and the call, by day and by partner, with precision → a citizen's report opens a case →
 * the same screens in Kazakh, the indicator revoked → a tablet in portrait. Screenshots `fraud-01` … `fraud-07`.
 */

const ru = messages.ru;
const kk = messages.kk;
const BANK_KEY = 'tk_bank_demo_Pm3kJ6hG9fD2sA5zX8cV1bN4';
const TELECOM_KEY = 'tk_telecom_demo_Lw4qE7rT1yU5iO8pA2sD6fG9';
const FRAUDSTER = '+77059876543';
const VICTIM = '+77011234567';
const PAYER_IBAN = 'KZ86125KZT5004100100';
const PAYEE_IBAN = 'KZ75125KZT2069100100';
const AMOUNT = 250_000;

const setup = e2eEnvironment();

/** The text of an element with every run of white space (NBSP and the narrow one included) as one space. */
async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

const ruNumber = (v: number, digits = 0) => new Intl.NumberFormat('ru-RU', { maximumFractionDigits: digits }).format(v).replace(/\s+/g, ' ');

interface IndicatorOut {
  id: string;
  kind: string;
  value: string | null;
  effect: string;
  overridable: boolean;
  contributor: string;
  revoked: boolean;
}

describe('anti-fraud back-office', () => {
  test('an indicator added in the screen blocks a call and a transfer; decisions with reasons, prevented loss, Kazakh', async () => {
    const e = setup();
    const base = e.server.url;
    const token = await demoToken(base, 'fraud');
    const asAnalyst = async <T>(path: string): Promise<{ status: number; body: T }> => {
      const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, body: (await res.json()) as T };
    };
    const asPartner = async <T>(key: string, path: string, body: unknown): Promise<{ status: number; body: T }> => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json', 'accept-language': 'en' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as T };
    };

    const { ctx, page, pageErrors } = await openPage(e, { viewport: { width: 1366, height: 900 }, locale: 'ru-RU' });
    try {
      await page.goto(`${base}/`);
      await signIn(page, 'fraud', 'demo');
      await page.locator('.app-header').waitFor();
      const nav = page.locator('#app-nav a[data-section="fraud"]');
      expect(await nav.textContent()).toBe(ru['nav.fraud']);
      await nav.click();
      await page.locator('[data-testid="indicators-tab"]').waitFor();
      expect(await page.locator('.tabs a[data-tab]').allTextContents()).toEqual([
        ru['fraud.tab.indicators'],
        ru['fraud.tab.decisions'],
        ru['fraud.tab.stats'],
        ru['fraud.tab.cases'],
        ru['fraud.tab.policy'],
        ru['fraud.tab.backtest'],
      ]);

      // Add an indicator from the keyboard (N): an empty value is refused on the spot, a bad number by the server
      // (its Russian message under the field), then the fraudster's number typed the Kazakhstan way.
      await page.keyboard.press('n');
      await page.locator('[data-testid="indicator-form"]').waitFor();
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('ind-kind');
      await page.locator('[data-action="save-indicator"]').click();
      expect(await text(page, '#ind-value-error')).toBe(ru['fraud.form.required']);
      await page.locator('#ind-value').fill('8 705 12');
      await page.locator('[data-action="save-indicator"]').click();
      await expect.poll(() => text(page, '#ind-value-error')).toBe(SERVER_MESSAGES.ru['field.fraud.invalid_phone']);
      expect(await page.getAttribute('#ind-value', 'aria-invalid')).toBe('true');
      await page.locator('#ind-value').fill('8 705 987 65 43');
      await page.selectOption('#ind-effect', 'block');
      await page.selectOption('#ind-source', 'police_case');
      await page.locator('#ind-ref').fill('УД-2026-0417');
      await page.locator('#ind-confidence').fill('0,95');
      await page.locator('#ind-overridable').uncheck();
      await page.locator('#ind-note').fill('Звонки «из службы безопасности банка»');
      await page.screenshot({ path: join(e.shots, 'fraud-01-add-indicator.png') });
      await page.locator('[data-action="save-indicator"]').click();
      await expect.poll(() => text(page, '[data-testid="indicator-notice"]')).toBe(ru['fraud.addedNotice']);
      const row = page.locator(`[data-testid="indicator-list"] button[data-value="${FRAUDSTER}"]`);
      await row.waitFor();
      expect(await row.getAttribute('data-effect')).toBe('block');
      const detail = await text(page, '[data-testid="indicator-detail"]');
      expect(detail).toContain(FRAUDSTER);
      expect(detail).toContain('УД-2026-0417');

      // Bulk: a file of indicators from another system is imported (all or nothing; a bad line names itself), and the
      // set in force exported as NDJSON.
      const bad = '{"kind":"phone","value":"+77470002233","source":"bank","confidence":0.6,"effect":"warn"}\n{"kind":"phone","value":"12","source":"bank","confidence":0.6,"effect":"warn"}\n';
      await page.locator('[data-testid="import-indicators"]').setInputFiles({ name: 'bad.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from(bad) });
      await expect.poll(() => text(page, '[data-testid="bulk-error"]')).not.toBe('');
      const good = '{"kind":"phone","value":"+77470002233","source":"bank","confidence":0.6,"effect":"warn"}\n';
      await page.locator('[data-testid="import-indicators"]').setInputFiles({ name: 'good.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from(good) });
      await expect.poll(() => text(page, '[data-testid="bulk-notice"]')).toBe(ru['fraud.imported'].replace('{n}', '1'));
      const download = page.waitForEvent('download');
      await page.locator('[data-action="export-indicators"]').click();
      const file = await download;
      expect(file.suggestedFilename()).toMatch(/^tartip-indicators-\d{4}-\d{2}-\d{2}\.ndjson$/);
      const exported = (await readFile((await file.path()) as string, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { value: string | null });
      expect(exported.map((x) => x.value)).toEqual(expect.arrayContaining([FRAUDSTER, '+77470002233']));
      expect(detail).toContain(ru['fraud.notOverridable']);
      const stored = (await asAnalyst<{ items: IndicatorOut[] }>(`/api/v1/fraud/indicators?kind=phone&value=${encodeURIComponent(FRAUDSTER)}`)).body.items;
      expect(stored).toEqual([expect.objectContaining({ value: FRAUDSTER, effect: 'block', overridable: false, revoked: false })]);
      const indicatorId = stored[0].id;

      // Filters: by kind and value (the server normalises and hashes it), by effect.
      await page.selectOption('#filter-kind', 'phone');
      await page.locator('#filter-value').fill('8 (705) 987-65-43');
      await page.locator('[data-action="filter"]').click();
      await expect.poll(() => page.locator('[data-testid="indicator-list"] button[data-indicator]').count()).toBe(1);
      await page.selectOption('#filter-effect', 'warn');
      await page.locator('[data-action="filter"]').click();
      await expect.poll(() => page.locator('[data-testid="indicator-list"] button[data-indicator]').count()).toBe(0);
      await page.selectOption('#filter-effect', '');
      await page.selectOption('#filter-kind', '');
      await page.locator('[data-action="filter"]').click();
      await row.waitFor();

      // The operator's switch screens a call from that number to the victim; the victim's bank a first transfer to it.
      const call = await asPartner<{ id: string; outcome: string; reasons: string[] }>(TELECOM_KEY, '/api/v1/fraud/calls/screen', {
        caller: FRAUDSTER,
        called: VICTIM,
        ingress: 'domestic',
        trunk: 'tg-ast-1',
      });
      expect(call.status).toBe(200);
      expect(call.body.outcome).toBe('block');
      expect(call.body.reasons).toContain('caller_listed_block');
      const tx = await asPartner<{ id: string; outcome: string; score: number; reasons: string[] }>(BANK_KEY, '/api/v1/fraud/transactions/screen', {
        id: 'e2e-tx-1',
        amount: AMOUNT,
        currency: 'KZT',
        payer: { account: PAYER_IBAN, phone: VICTIM },
        payee: { account: PAYEE_IBAN, phone: FRAUDSTER },
      });
      expect(tx.status).toBe(200);
      expect(tx.body.outcome).toBe('block');
      expect(tx.body.reasons).toContain('payee_listed_block');
      expect(tx.body.reasons).toContain('typology_T-CALL_interdiction');
      // Both partners confirm: it was fraud.
      expect((await asPartner(BANK_KEY, `/api/v1/fraud/decisions/${tx.body.id}/outcome`, { fraud: true })).status).toBe(200);
      expect((await asPartner(TELECOM_KEY, `/api/v1/fraud/decisions/${call.body.id}/outcome`, { fraud: true })).status).toBe(200);

      // The decision log: both decisions with their reasons in words and the verdict.
      await page.locator('.tabs a[data-tab="decisions"]').click();
      await page.locator('[data-testid="decisions-tab"]').waitFor();
      expect((await asAnalyst<unknown>('/api/v1/fraud/decisions')).status).toBe(200);
      const callRow = page.locator(`[data-testid="decision-list"] button[data-decision="${call.body.id}"]`);
      const txRow = page.locator(`[data-testid="decision-list"] button[data-decision="${tx.body.id}"]`);
      await callRow.waitFor();
      await txRow.waitFor();
      expect(await callRow.getAttribute('data-outcome')).toBe('block');
      expect(await text(page, `[data-decision="${call.body.id}"] [data-reason="caller_listed_block"]`)).toBe(ru['freason.caller_listed_block']);
      expect(await text(page, `[data-decision="${tx.body.id}"] [data-reason="payee_listed_block"]`)).toBe(ru['freason.payee_listed_block']);
      expect(await text(page, `[data-decision="${tx.body.id}"] [data-reason="typology_T-CALL_interdiction"]`)).toBe(
        ru['freason.typologyInterdiction'].replace('{typology}', ru['ftypology.T-CALL']),
      );
      await expect.poll(() => text(page, `[data-decision="${tx.body.id}"] [data-testid="verdict"]`)).toBe(ru['fraud.verdict.fraud']);
      expect(await text(page, `[data-decision="${tx.body.id}"]`)).toContain(`${ruNumber(AMOUNT)} ₸`);
      await txRow.click();
      await page.locator(`[data-testid="decision-detail"][data-decision="${tx.body.id}"]`).waitFor();
      // The indicator that fired is named in the decision, its history one click away (to review or revoke it).
      const fired = page.locator(`[data-testid="decision-detail"] [data-testid="matched-indicators"] li[data-indicator="${indicatorId}"]`);
      await fired.waitFor();
      await fired.locator('summary').click();
      await expect.poll(() => fired.locator('[data-testid="indicator-history"] li[data-change="added"]').count()).toBe(1);
      // The analyst is asked about the fraudster's number: the search finds its call, not the transfer.
      await page.locator('[data-testid="decision-search-text"]').fill(FRAUDSTER);
      await page.locator('[data-action="search-decisions"]').click();
      await expect.poll(() => page.locator('[data-testid="decision-list"] button[data-decision]').count()).toBe(1);
      await callRow.waitFor();
      // The call is the risk call-then-transfer weighed (a listed caller), as the log keeps it.
      await callRow.click();
      await page.locator(`[data-testid="decision-detail"][data-decision="${call.body.id}"]`).waitFor();
      expect(await text(page, '[data-testid="decision-detail"] [data-testid="call-risk"]')).toBe(ru['fcallrisk.flagged']);
      await page.getByRole('button', { name: ru['fraud.clearSearch'] }).click();
      await txRow.waitFor();
      await page.screenshot({ path: join(e.shots, 'fraud-02-decisions.png') });

      // The prevented-loss dashboard: the confirmed blocked sum, the call blocked, by day and partner, precision.
      await page.locator('.tabs a[data-tab="stats"]').click();
      await page.locator('[data-testid="stats-tab"]').waitFor();
      await expect.poll(() => text(page, '[data-testid="prevented-kzt"]'), { timeout: 20_000 }).toBe(`${ruNumber(AMOUNT)} ₸`);
      await expect.poll(() => text(page, '[data-testid="calls-blocked"]'), { timeout: 20_000 }).toBe('1');
      const today = new Date().toISOString().slice(0, 10);
      expect(await page.getAttribute(`[data-testid="chart-prevented"] g[data-day="${today}"]`, 'data-value')).toBe(String(AMOUNT));
      expect(await page.getAttribute(`[data-testid="chart-calls"] g[data-day="${today}"]`, 'data-value')).toBe('1');
      expect(await text(page, '[data-testid="by-partner"] tr[data-partner="partner:demo-bank"]')).toContain(`${ruNumber(AMOUNT)} ₸`);
      expect(await text(page, '[data-testid="by-partner"] tr[data-partner="partner:demo-telecom"] td:nth-child(3)')).toBe('1');
      expect(await text(page, '[data-testid="by-outcome"] tr[data-kind="transaction"] td[data-outcome="block"]')).toBe('1');
      expect(await text(page, '[data-testid="by-outcome"] tr[data-kind="call"] td[data-outcome="block"]')).toBe('1');
      expect(await text(page, '[data-testid="precision-transaction"]')).toBe('100 %');
      expect(await text(page, '[data-testid="precision-call"]')).toBe('100 %');
      await page.screenshot({ path: join(e.shots, 'fraud-03-prevented-loss.png') });

      // A citizen's report through the bank's app opens a case; the cases tab lists it with the number it names.
      const report = await asPartner<{ caseId: string }>(BANK_KEY, '/api/v1/fraud/citizen-reports', {
        phones: ['8 747 555 11 22'],
        description: 'Позвонили «из банка», попросили код из SMS',
        amount: 120_000,
      });
      expect(report.status).toBe(201);
      await page.locator('.tabs a[data-tab="cases"]').click();
      const caseRow = page.locator(`[data-testid="case-list"] tr[data-case="${report.body.caseId}"]`);
      await caseRow.waitFor();
      const caseText = ((await caseRow.textContent()) ?? '').replace(/\s+/g, ' ');
      expect(caseText).toContain('+77475551122');
      expect(caseText).toContain(`${ruNumber(120_000)} ₸`);
      expect(caseText).toContain(ru['fchannel.bank']);
      // The analyst takes the case on, with a comment; the list shows it after the save.
      await caseRow.locator('[data-testid="case-status"]').selectOption('investigating');
      await caseRow.locator('[data-testid="case-comment"]').fill('запрос в банк получателя');
      await caseRow.locator('[data-action="save-case"]').click();
      await expect.poll(() => text(page, `[data-case="${report.body.caseId}"] [data-testid="case-status-comment"]`)).toBe('«запрос в банк получателя»');
      expect(await caseRow.locator('[data-testid="case-status"]').inputValue()).toBe('investigating');
      // People over the SIM limit: none in this run, and the section says so.
      await expect.poll(() => text(page, '[data-testid="sim-limits"]')).toContain(ru['fraud.noSimLimits']);
      await page.screenshot({ path: join(e.shots, 'fraud-04-cases.png') });

      // In Kazakh: tabs, the dashboard's labels; then the indicator revoked from its card.
      await page.locator('.lang-switcher button[data-lang="kk"]').first().click();
      await expect.poll(() => page.getAttribute('html', 'lang')).toBe('kk');
      expect(await page.locator('.tabs a[data-tab]').allTextContents()).toEqual([
        kk['fraud.tab.indicators'],
        kk['fraud.tab.decisions'],
        kk['fraud.tab.stats'],
        kk['fraud.tab.cases'],
        kk['fraud.tab.policy'],
        kk['fraud.tab.backtest'],
      ]);
      expect(await text(page, `[data-case="${report.body.caseId}"] td:nth-child(2)`)).toContain(kk['fchannel.bank']);
      await page.locator('.tabs a[data-tab="stats"]').click();
      expect(await text(page, '[data-testid="kpi-calls"] .kpi-label')).toBe(kk['fraud.callsBlocked']);
      expect(await text(page, '[data-testid="kpi-prevented"] .kpi-label')).toBe(kk['fraud.prevented']);
      await page.screenshot({ path: join(e.shots, 'fraud-05-stats-kk.png') });
      await page.locator('.tabs a[data-tab="indicators"]').click();
      await row.click();
      await page.locator('[data-action="revoke"]').click();
      await page.locator('[data-action="revoke-confirm"]').click();
      await expect.poll(() => page.getAttribute('[data-testid="indicator-detail"]', 'data-revoked')).toBe('true');
      expect(await text(page, '[data-testid="indicator-detail"] .feffect')).toBe(kk['fraud.revoked']);
      expect(await text(page, '[data-testid="indicator-notice"]')).toBe(kk['fraud.revokedNotice']);
      const revoked = (await asAnalyst<{ items: IndicatorOut[] }>(`/api/v1/fraud/indicators?kind=phone&value=${encodeURIComponent(FRAUDSTER)}&includeRevoked=true`)).body.items;
      expect(revoked).toEqual([expect.objectContaining({ id: indicatorId, revoked: true })]);
      await page.screenshot({ path: join(e.shots, 'fraud-06-revoked-kk.png') });

      // A tablet in portrait: one column, nothing wider than the screen.
      await page.setViewportSize({ width: 800, height: 1280 });
      await page.locator('[data-testid="indicator-detail"]').waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
      await page.locator('.tabs a[data-tab="stats"]').click();
      await page.locator('[data-testid="chart-prevented"]').waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(e.shots, 'fraud-07-tablet-kk.png'), fullPage: true });
      expect(pageErrors).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 240_000);
  test('an indicator edited in the screen shows its history; a threshold raised in the typology screen changes the next transfer; backtest; region and channel', async () => {
    const e = setup();
    const base = e.server.url;
    const PAYEE = 'KZ18722S000012345678';
    const PAYER = 'KZ16601A871001234567';
    const BLOCKED_PAYEE = 'KZ75125KZT1001300335';
    const ALMATY = '750000000';
    const partner = async <T>(key: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { 'x-api-key': key, 'content-type': 'application/json', 'accept-language': 'en' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as T };
    };
    type TxOut = { id: string; outcome: string; score: number; reasons: string[]; policyVersion: string };
    // Each transfer its own id: the same id and content within 10 minutes would get its first decision back.
    let transfers = 0;
    const transfer = () => partner<TxOut>(BANK_KEY, 'POST', '/api/v1/fraud/transactions/screen', { id: `e2e-${Date.now()}-${++transfers}`, amount: 40_000, payer: { account: PAYER }, payee: { account: PAYEE } });

    // The bank lists the payee's account as suspicious (warn, 0.6): a transfer to it is held by T-LIST (400 ≥ 300).
    const listed = await partner<IndicatorOut>(BANK_KEY, 'POST', '/api/v1/fraud/indicators', { kind: 'iban', value: PAYEE, source: 'bank', confidence: 0.6, effect: 'warn', note: 'жалоба клиента' });
    expect(listed.status).toBe(201);
    const before = await transfer();
    expect(before.body).toMatchObject({ outcome: 'hold', score: 400, reasons: ['typology_T-LIST_alert'] });

    const { ctx, page, pageErrors } = await openPage(e, { viewport: { width: 1366, height: 900 }, locale: 'ru-RU' });
    try {
      await page.goto(`${base}/`);
      await signIn(page, 'fraud', 'demo');
      await page.locator('#app-nav a[data-section="fraud"]').click();
      await page.locator('[data-testid="indicators-tab"]').waitFor();

      // Edit the indicator: a wrong confidence is refused on the spot; then a new confidence, note and a reason.
      await page.selectOption('#filter-kind', 'iban');
      await page.locator('#filter-value').fill(PAYEE);
      await page.locator('[data-action="filter"]').click();
      const row = page.locator(`[data-testid="indicator-list"] button[data-indicator="${listed.body.id}"]`);
      await row.click();
      await page.locator('[data-testid="indicator-history"] li[data-change="added"]').waitFor();
      await page.locator('[data-action="edit"]').click();
      await page.locator('[data-testid="indicator-edit-form"]').waitFor();
      await page.locator('#edit-confidence').fill('1,5');
      await page.locator('[data-action="save-edit"]').click();
      expect(await text(page, '#edit-confidence-error')).toBe(ru['fraud.form.confidenceRange']);
      await page.locator('#edit-confidence').fill('0,7');
      await page.locator('#edit-note').fill('подтверждено банком');
      await page.locator('#edit-comment').fill('повторная жалоба');
      await page.locator('[data-action="save-edit"]').click();
      await expect.poll(() => text(page, '[data-testid="indicator-notice"]')).toBe(ru['fraud.editedNotice']);
      const edited = page.locator('[data-testid="indicator-history"] li[data-change="edited"]');
      await edited.waitFor();
      expect(await text(page, '[data-testid="indicator-history"] li[data-change="edited"] [data-testid="history-actor"]')).toBe('user:fraud');
      expect(await text(page, '[data-testid="indicator-history"] li[data-change="edited"] [data-testid="history-comment"]')).toBe('«повторная жалоба»');
      expect(await text(page, '[data-testid="indicator-history"] li[data-change="edited"] li[data-field="confidence"]')).toBe(`${ru['ffield.confidence']}: 0,6 → 0,7`);
      expect(await text(page, '[data-testid="indicator-history"] li[data-change="edited"] li[data-field="note"]')).toBe(`${ru['ffield.note']}: жалоба клиента → подтверждено банком`);
      // Newest first: the edit above the addition, which names the bank.
      expect(await page.locator('[data-testid="indicator-history"] > li').evaluateAll((els) => els.map((el) => el.getAttribute('data-change')))).toEqual(['edited', 'added']);
      expect(await text(page, '[data-testid="indicator-history"] li[data-change="added"] [data-testid="history-actor"]')).toBe('partner:demo-bank');
      expect(await text(page, '[data-testid="indicator-detail"]')).toContain('подтверждено банком');
      await page.screenshot({ path: join(e.shots, 'fraud-08-indicator-history.png') });

      // Typologies: version 1 in force. An interdiction threshold below the alert one is refused by the server, under
      // the field, and nothing changes; then T-LIST's alert raised to 500 is saved as version 2.
      await page.locator('.tabs a[data-tab="policy"]').click();
      await page.locator('[data-testid="policy-tab"][data-version="1"]').waitFor();
      expect(await text(page, '[data-testid="policy-version"]')).toBe(ru['fraud.policy.version'].replace('{version}', '1'));
      const alert = page.locator('[data-testid="policy-typologies"] tr[data-typology="T-LIST"] input[data-path$=".alert"]');
      const interdiction = page.locator('[data-testid="policy-typologies"] tr[data-typology="T-LIST"] input[data-path$=".interdiction"]');
      expect(await alert.inputValue()).toBe('300');
      const tListPath = (await interdiction.getAttribute('data-path')) ?? '';
      await interdiction.fill('200');
      await page.locator('#policy-comment').fill('ошибка');
      await page.locator('[data-action="save-policy"]').click();
      await expect.poll(() => text(page, `[data-error-for="${tListPath}"]`)).toBe(SERVER_MESSAGES.ru['field.fraud.thresholds_order']);
      expect(await interdiction.getAttribute('aria-invalid')).toBe('true');
      expect((await transfer()).body).toMatchObject({ outcome: 'hold', policyVersion: '1' });
      await interdiction.fill('700');
      await alert.fill('500');
      await page.screenshot({ path: join(e.shots, 'fraud-09-policy.png') });
      // Before saving, the draft is backtested: it goes to the backtest screen, preselected and marked unsaved, runs,
      // is kept in the list as a draft, and comes back to the typology screen as it was left — nothing is in force yet.
      await page.locator('[data-action="backtest-draft"]').click();
      await page.locator('[data-testid="backtest-tab"]').waitFor();
      expect(await page.locator('#backtest-policy').inputValue()).toBe('draft');
      await page.locator('#backtest-file').setInputFiles({ name: 'paysim.csv', mimeType: 'text/csv', buffer: Buffer.from(paysimSample()) });
      await page.locator('[data-action="run-backtest"]').click();
      await page.locator('[data-testid="backtest-result"]').waitFor();
      expect(await text(page, '[data-testid="bt-ran"]')).toBe(ru['fraud.backtest.ran'].replace('{file}', 'paysim.csv').replace('{version}', ru['fraud.backtest.draft']));
      expect(await page.locator('[data-testid="backtest-runs"] tr[data-draft="true"]').count()).toBe(1);
      expect((await transfer()).body).toMatchObject({ outcome: 'hold', policyVersion: '1' });
      await page.locator('.tabs a[data-tab="policy"]').click();
      await page.locator('[data-testid="policy-tab"][data-version="1"]').waitFor();
      await expect.poll(() => alert.inputValue()).toBe('500');
      expect(await interdiction.inputValue()).toBe('700');
      await page.locator('#policy-comment').fill('T-LIST: задерживать с 500 по итогам бэктеста');
      await page.locator('[data-action="save-policy"]').click();
      await expect.poll(() => text(page, '[data-testid="policy-notice"]')).toBe(ru['fraud.policy.saved'].replace('{version}', '2'));
      await page.locator('[data-testid="policy-tab"][data-version="2"]').waitFor();
      expect(await text(page, '[data-testid="policy-versions"] tr[data-version="2"]')).toContain('T-LIST: задерживать с 500 по итогам бэктеста');
      expect(await text(page, '[data-testid="policy-versions"] tr[data-version="2"]')).toContain('user:fraud');
      // The same transfer now goes through, decided by version 2.
      const after = await transfer();
      expect(after.body).toMatchObject({ outcome: 'allow', score: 400, reasons: [], policyVersion: '2' });

      // Backtest: a PaySim CSV replayed through the typologies in force.
      await page.locator('.tabs a[data-tab="backtest"]').click();
      await page.locator('[data-testid="backtest-tab"]').waitFor();
      await page.locator('#backtest-file').setInputFiles({ name: 'paysim.csv', mimeType: 'text/csv', buffer: Buffer.from(paysimSample()) });
      await page.locator('[data-action="run-backtest"]').click();
      await page.locator('[data-testid="backtest-result"]').waitFor();
      expect(await text(page, '[data-testid="bt-rows"]')).toBe('33');
      expect(await text(page, '[data-testid="bt-precision"]')).toBe('100 %');
      expect(await text(page, '[data-testid="bt-outcomes"] td[data-outcome="block"]')).toBe('3');
      expect(await text(page, '[data-testid="bt-outcomes"] td[data-outcome="hold"]')).toBe('6');
      expect(Number(await page.getAttribute('[data-testid="bt-chart"] g[data-typology="T-MULE"]', 'data-alerts'))).toBeGreaterThan(0);
      expect(await text(page, '[data-testid="bt-typologies"] tr[data-typology="T-MULE"] td[data-col="fraudAlerts"]')).toBe(
        (await page.getAttribute('[data-testid="bt-chart"] g[data-typology="T-MULE"]', 'data-fraud-alerts')) ?? 'x',
      );
      // Both runs are kept, newest first: version 2 in force above the draft; the draft's result opens again.
      expect(await page.locator('[data-testid="backtest-runs"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-draft')))).toEqual(['false', 'true']);
      expect(await text(page, '[data-testid="backtest-runs"] tbody tr:first-child td:nth-child(2)')).toBe(ru['fraud.backtest.version'].replace('{version}', '2'));
      await page.locator('[data-testid="backtest-runs"] tr[data-draft="true"] [data-action="open-backtest"]').click();
      await expect.poll(() => text(page, '[data-testid="bt-ran"]')).toContain(ru['fraud.backtest.draft']);
      await page.screenshot({ path: join(e.shots, 'fraud-10-backtest.png') });
      // A file that is not PaySim: the server names the line and columns.
      await page.locator('#backtest-file').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('step,type\n1,PAYMENT') });
      await page.locator('[data-action="run-backtest"]').click();
      await expect.poll(() => page.locator('[data-testid="backtest-row-errors"] li').count()).toBe(4);

      // Prevented loss by region and channel: a blocked transfer in Almaty, confirmed fraud.
      await partner(BANK_KEY, 'POST', '/api/v1/fraud/indicators', { kind: 'iban', value: BLOCKED_PAYEE, source: 'bank', confidence: 1, effect: 'block', overridable: false });
      const blocked = await partner<TxOut>(BANK_KEY, 'POST', '/api/v1/fraud/transactions/screen', { id: 'e2e-region', amount: 77_000, region: ALMATY, payer: { account: PAYER }, payee: { account: BLOCKED_PAYEE } });
      expect(blocked.body.outcome).toBe('block');
      expect((await partner(BANK_KEY, 'POST', `/api/v1/fraud/decisions/${blocked.body.id}/outcome`, { fraud: true })).status).toBe(200);
      await page.locator('.tabs a[data-tab="stats"]').click();
      const region = page.locator(`[data-testid="by-region"] tr[data-key="${ALMATY}"]`);
      await region.waitFor({ timeout: 20_000 });
      expect(await text(page, `[data-testid="by-region"] tr[data-key="${ALMATY}"] th`)).toMatch(/Алматы/);
      expect(await text(page, `[data-testid="by-region"] tr[data-key="${ALMATY}"] td[data-col="prevented"]`)).toBe(`${ruNumber(77_000)} ₸`);
      expect(await text(page, `[data-testid="by-region"] tr[data-key="${ALMATY}"] td[data-col="blocked"]`)).toBe('1');
      expect(await text(page, '[data-testid="by-channel"] tr[data-key="bank"] th')).toBe(ru['fdchannel.bank']);
      // Everything the banks prevented (this test's transfer and any earlier one in this file) is on the bank channel.
      const token = await demoToken(base, 'fraud');
      const stats = (await (await fetch(`${base}/api/v1/fraud/stats`, { headers: { authorization: `Bearer ${token}` } })).json()) as { preventedLoss: { currency: string; amount: number }[] };
      const kzt = stats.preventedLoss.find((p) => p.currency === 'KZT')?.amount ?? 0;
      expect(kzt).toBeGreaterThanOrEqual(77_000);
      expect(await text(page, '[data-testid="by-channel"] tr[data-key="bank"] td[data-col="prevented"]')).toBe(`${ruNumber(kzt)} ₸`);
      await page.screenshot({ path: join(e.shots, 'fraud-11-by-region.png') });

      // In English: the typology screen's labels.
      await page.locator('.lang-switcher button[data-lang="en"]').first().click();
      await page.locator('.tabs a[data-tab="policy"]').click();
      await expect.poll(() => text(page, '[data-testid="policy-tab"] h2')).toBe(messages.en['fraud.policy.title']);
      expect(pageErrors).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 240_000);
});
