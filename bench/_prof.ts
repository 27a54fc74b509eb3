import { randomUUID } from 'node:crypto';
import { MODULES } from '../apps/server/src/modules.ts';
import { migrationsOf } from '../packages/kernel/src/module.ts';
import { testKernel } from '../packages/kernel/src/testing.ts';
import { fraudRuntime } from '../modules/fraud/index.ts';
import { identifierHash } from '../modules/fraud/domain/identifiers.ts';
const kzNumber = (i: number) => `+770${String(i).padStart(8, '0')}`;
const kernel = await testKernel({ migrations: migrationsOf(MODULES), env: { TARTIP_FRAUD_RECORD_BUFFER: '10000000', TARTIP_FRAUD_RECORD_BATCH: '5000' } });
const rt = fraudRuntime(kernel);
await rt.start();
for (let i = 0; i < 100_000; i++) rt.indicators.apply({ id: randomUUID(), kind: 'phone', hash: identifierHash(rt.settings.hashKey, 'phone', kzNumber(i*2)), source: 'bank', confidence: 0.8, effect: i % 4 === 0 ? 'block' : 'warn', overridable: true, validFrom: '2026-01-01T00:00:00.000Z', validUntil: null, revoked: false, updatedAt: new Date().toISOString() });
const origin = { partner: 'bench', channel: 'telecom', area: null };
let n = 0;
for (let round = 0; round < 6; round++) {
  const t0 = performance.now();
  for (let j = 0; j < 100_000; j++) { const i = n++; await rt.screenCall({ caller: kzNumber((i * 7) % 10_000_000), called: kzNumber(5_000_000 + (i % 50_000)), ingress: i % 5 === 1 ? 'international' : 'domestic', trunk: 't1', identity: null }, origin as never); }
  console.log('round', round, (100_000 / ((performance.now() - t0) / 1000)).toFixed(0), '/s');
  await rt.recorder.flush();
}
await kernel.close();
process.exit(0);
