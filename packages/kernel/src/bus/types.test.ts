import { describe, expect, it } from 'vitest';
import { subjectMatches } from './types.ts';

describe('subjectMatches', () => {
  it.each([
    // filter, subject, matches (NATS semantics)
    ['kernel.user.created', 'kernel.user.created', true],
    ['kernel.user.created', 'kernel.user.deleted', false],
    ['kernel.user.created', 'kernel.user', false],
    ['kernel.user', 'kernel.user.created', false],
    ['kernel.>', 'kernel.user.created', true],
    ['kernel.>', 'kernel.user', true],
    ['kernel.>', 'kernel', false], // `>` needs at least one token
    ['kernel.>', 'kernelx.user', false],
    ['kernel.>', 'incidents.kernel.user', false],
    ['>', 'kernel', true],
    ['>', 'kernel.user.created', true],
    ['*.user.*', 'kernel.user.created', true],
    ['*.user.*', 'kernel.user', false],
    ['*.user.*', 'kernel.user.created.now', false],
    ['kernel.*', 'kernel.user', true],
    ['kernel.*', 'kernel.user.created', false],
    ['*', 'kernel', true],
    ['*', 'kernel.user', false],
    ['kernel.*.>', 'kernel.user.created', true],
    ['kernel.*.>', 'kernel.user', false],
  ])('%s ~ %s → %s', (filter, subject, expected) => {
    expect(subjectMatches(filter, subject)).toBe(expected);
  });
});
