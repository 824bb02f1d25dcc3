import { describe, expect, it } from 'vitest';
import {
  DatadogApiError,
  DatadogAuthError,
  DatadogMalformedResponseError,
  redactSecrets,
  summarizeErrorBody,
} from '../../lib/datadog/errors';
import { UserError } from '../../lib/errors';

describe('summarizeErrorBody', () => {
  it('reads the plain string error shape', () => {
    expect(summarizeErrorBody('{"errors":["Bad Request"]}')).toBe('Bad Request');
    expect(summarizeErrorBody('{"errors":["Bad Request","query is invalid"]}')).toBe(
      'Bad Request; query is invalid',
    );
  });

  it('reads JSON:API error objects', () => {
    const body = JSON.stringify({
      errors: [{ status: '400', title: 'Bad Request', detail: 'issue id is not an uuid' }],
    });
    expect(summarizeErrorBody(body)).toBe('Bad Request: issue id is not an uuid');
    expect(summarizeErrorBody('{"errors":[{"title":"Invalid Parameter"}]}')).toBe('Invalid Parameter');
  });

  it('reduces an HTML gateway page to its title', () => {
    const html = '<html>\n<head><title>502 Bad Gateway</title></head>\n<body><h1>502</h1></body></html>';
    expect(summarizeErrorBody(html, 'text/html')).toBe('502 Bad Gateway');
  });

  it('strips tags from HTML without a title', () => {
    expect(
      summarizeErrorBody('<html><body><h1>Service\n  Unavailable</h1><p>try &amp; retry</p></body></html>'),
    ).toBe('Service Unavailable try & retry');
  });

  it('keeps one short line', () => {
    const summary = summarizeErrorBody(`line one\nline two ${'x'.repeat(500)}`);
    expect(summary).toMatch(/^line one line two x+…$/);
    expect(summary).toHaveLength(200);
  });

  it('returns undefined for an empty body', () => {
    expect(summarizeErrorBody('  ')).toBeUndefined();
  });
});

describe('error classes', () => {
  it('are user errors with the documented exit codes', () => {
    const apiError = new DatadogApiError('boom', { endpoint: 'GET /x', status: 400, attempts: 1 });
    const authError = new DatadogAuthError('denied', { endpoint: 'GET /x', status: 403, attempts: 1 });
    const malformed = new DatadogMalformedResponseError('bad', { endpoint: 'GET /x', attempts: 7 });
    expect(apiError).toBeInstanceOf(UserError);
    expect([apiError.exitCode, authError.exitCode, malformed.exitCode]).toEqual([1, 2, 1]);
    expect(authError).toBeInstanceOf(DatadogApiError);
    expect(authError.name).toBe('DatadogAuthError');
    expect(malformed.status).toBeUndefined();
  });
});

describe('redactSecrets', () => {
  it('removes every occurrence of each key', () => {
    expect(redactSecrets('a 0123456789abcdef b 0123456789abcdef', ['0123456789abcdef'])).toBe(
      'a [redacted] b [redacted]',
    );
  });
});
