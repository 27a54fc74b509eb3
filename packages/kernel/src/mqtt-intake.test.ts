import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Problem } from './errors.ts';
import { ackFor, PUBACK, retryDelayMs } from './mqtt-intake.ts';

describe('MQTT intake acknowledgements', () => {
  it('bad input is settled with a PUBACK reason code; anything else is retried', () => {
    expect(ackFor(new SyntaxError('Unexpected token'))).toBe(PUBACK.payloadFormatInvalid);
    expect(ackFor(z.object({ lon: z.number() }).safeParse({ lon: 'x' }).error)).toBe(PUBACK.payloadFormatInvalid);
    expect(ackFor(Problem.validation([{ path: 'item.0', code: 'invalid' }]))).toBe(PUBACK.payloadFormatInvalid);
    expect(ackFor(Problem.notFound())).toBe(PUBACK.implementationSpecific);
    expect(ackFor(new Problem('dispatch.no_position', {}, [], 409))).toBe(PUBACK.implementationSpecific);
    expect(ackFor(new Error('connect ECONNREFUSED 127.0.0.1:5432'))).toBe('retry');
    expect(ackFor(new Problem('internal', {}, [], 503))).toBe('retry');
  });

  it('retries back off from 250 ms, doubling, to at most 10 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(retryDelayMs)).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
});
