import { describe, expect, it } from 'vitest';
import { redactUrl } from './app.ts';

describe('redactUrl', () => {
  it('keeps access tokens out of request logs', () => {
    expect(redactUrl('/api/v1/stream?topics=dispatch.>&access_token=eyJ.secret.sig')).toBe(
      '/api/v1/stream?topics=dispatch.>&access_token=[redacted]',
    );
    expect(redactUrl('/api/v1/stream?access_token=abc&topics=x')).toBe('/api/v1/stream?access_token=[redacted]&topics=x');
    expect(redactUrl('/api/v1/users?limit=5')).toBe('/api/v1/users?limit=5');
  });
});
