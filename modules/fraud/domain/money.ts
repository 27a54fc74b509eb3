/**
 * Amounts are judged in tenge: the policy's thresholds («large», the degraded-mode hold) are tenge, and a payer's
 * history mixes whatever currencies it paid in. A transfer in another currency is converted at the installation's
 * rates (`TARTIP_FRAUD_KZT_RATES`, e.g. the National Bank's official rates, updated with the configuration); a
 * currency without a rate is refused at the door rather than judged as if it were tenge — 1,000 USD is not small.
 */
export type KztRates = ReadonlyMap<string, number>;

/** `USD=470.5,EUR=512,RUB=5.4` → tenge per unit; KZT is always 1. Throws on anything else. */
export function parseKztRates(text: string): KztRates {
  const rates = new Map<string, number>([['KZT', 1]]);
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Z]{3})\s*=\s*(\d+(\.\d+)?)$/.exec(part);
    const rate = m ? Number(m[2]) : Number.NaN;
    if (!m || !(rate > 0) || !Number.isFinite(rate)) throw new Error(`"${part}" is not CODE=tenge-per-unit (e.g. USD=470.5)`);
    if (m[1] === 'KZT' && rate !== 1) throw new Error('KZT is 1 tenge');
    rates.set(m[1], rate);
  }
  return rates;
}

/** The amount in tenge, or null when the currency has no rate. */
export function toKzt(amount: number, currency: string, rates: KztRates): number | null {
  const rate = rates.get(currency);
  return rate === undefined ? null : amount * rate;
}
