/** Random screening decisions for the decision log's tests: every field, odd strings, nulls, odd numbers. */
import { newId } from '../../../packages/kernel/src/ids.ts';
import { seededRandom } from '../../../packages/kernel/src/random.ts';
import type { CallDecision, TransactionDecision } from '../recorder.ts';

/** Strings of every kind a partner may send: Cyrillic, Kazakh letters, emoji (surrogate pairs), quotes, controls. */
export const ODD = ['', 'звонок «банка»', 'ҚАЗАҚША әріптер', '🚨 fraud', '"quoted" \\ back\nslash\ttab\u0001', 'x'.repeat(3000), 'KZ86125KZT5004100100'];

export function randomDecisions(n: number, seed: number): (CallDecision | TransactionDecision)[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const maybe = <T>(x: T) => (rnd() < 0.3 ? null : x);
  const bytes = (k: number) => Uint8Array.from({ length: k }, () => Math.floor(rnd() * 256));
  return Array.from({ length: n }, (_, i) => {
    const common = {
      id: newId(),
      outcome: pick(['allow', 'label', 'block', 'hold', ...ODD]),
      reasons: Array.from({ length: Math.floor(rnd() * 4) }, () => pick(['caller_listed_block', 'shaken_invalid_stale', `reason-${i}`, ...ODD])),
      latencyUs: Math.floor(rnd() * 100_000),
      degraded: rnd() < 0.2,
      policyVersion: String(1 + Math.floor(rnd() * 3)),
      partner: pick(['partner:halyk', 'partner:kaspi', ...ODD]),
      channel: maybe(pick(['bank', 'telecom'])),
      area: maybe(pick(['750000000', '751110000', `${i}`])),
      region: maybe(pick(['Алматы', 'Astana'])),
      decidedAt: Date.parse('2026-12-07T00:00:00Z') + Math.floor(rnd() * 86_400_000),
      // A fifth matched one to three indicators; some list none (absent), some an empty list.
      indicators: rnd() < 0.2 ? Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => newId()) : rnd() < 0.5 ? [] : undefined,
    };
    if (rnd() < 0.5) {
      return { ...common, caller: pick(['+77011234567', '+447700900123', ...ODD]), called: `+7701${1_000_000 + i}`, ingress: pick(['domestic', 'international']), trunk: maybe(pick(['t1', `trunk-${i}`, ...ODD])), attestation: maybe(pick(['A', 'B', 'C'])), risk: rnd() < 0.2 ? undefined : maybe(pick(['unknown', 'international', 'flagged', ...ODD])) };
    }
    return {
      ...common,
      score: pick([0, 0.5, 0.123456789, 1e-7, 123_456.75, 100]),
      amount: pick([1, 1000, 499_999.99, 1e12]),
      currency: pick(['KZT', 'USD', ...ODD]),
      transactionId: pick([`tx-${i}`, ...ODD]),
      payerHash: bytes(32),
      payeeHash: bytes(32),
      typologies: Array.from({ length: Math.floor(rnd() * 5) }, (_, k) => ({ id: pick(['call_then_transfer', 'mule_account', `typology-${k}`, ...ODD]), score: rnd() * 1000 })),
    };
  });
}

