import { describe, expect, it } from 'vitest';
import {
  type IgnoredFieldBehaviour,
  ignoringFields,
  matchesQuery,
  parseQuery,
  type QueryNode,
  QuerySyntaxError,
  quoteQueryValue,
} from '../../lib/simulator/query';

const issue = (
  service: string | undefined,
  overrides: Partial<{ platform: string; languages: string[]; errorType: string; id: string }> = {},
) => ({
  id: overrides.id ?? 'issue-1',
  service,
  platform: overrides.platform ?? 'BACKEND',
  languages: overrides.languages ?? ['GO'],
  errorType: overrides.errorType ?? 'builtins.TypeError',
});

const matches = (query: string, target: ReturnType<typeof issue>) => matchesQuery(parseQuery(query), target);

describe('parseQuery', () => {
  it('reads @issue.id, the issue an error event belongs to, so a page can leave issues out', () => {
    const page = '-@issue.id:(0b6e1c2a-1f64-11ee-b338-da7ad0900002 OR issue-2) AND service:api';
    expect(matches(page, issue('api', { id: 'issue-3' }))).toBe(true);
    expect(matches(page, issue('api', { id: 'issue-2' }))).toBe(false);
    expect(matches(page, issue('api', { id: '0b6e1c2a-1f64-11ee-b338-da7ad0900002' }))).toBe(false);
    expect(matches(page, issue('web', { id: 'issue-3' }))).toBe(false);
  });

  it('treats * and the empty query as everything', () => {
    expect(parseQuery('*')).toEqual({ kind: 'all' });
    expect(parseQuery('')).toEqual({ kind: 'all' });
    expect(parseQuery('   ')).toEqual({ kind: 'all' });
  });

  it('parses the exporter query shapes', () => {
    expect(parseQuery('service:"a"')).toEqual({
      kind: 'term',
      field: 'service',
      values: [{ value: 'a', prefix: false }],
    });
    const remainder = parseQuery('(service:orders-* AND @language:go) AND -service:("a" OR "b")');
    expect(remainder).toEqual({
      kind: 'and',
      children: [
        {
          kind: 'and',
          children: [
            { kind: 'term', field: 'service', values: [{ value: 'orders-', prefix: true }] },
            { kind: 'term', field: 'language', values: [{ value: 'go', prefix: false }] },
          ],
        },
        {
          kind: 'not',
          child: {
            kind: 'term',
            field: 'service',
            values: [
              { value: 'a', prefix: false },
              { value: 'b', prefix: false },
            ],
          },
        },
      ],
    } satisfies QueryNode);
  });

  it('binds AND tighter than OR and treats juxtaposition as AND', () => {
    expect(parseQuery('service:a service:b OR service:c')).toEqual({
      kind: 'or',
      children: [
        {
          kind: 'and',
          children: [
            { kind: 'term', field: 'service', values: [{ value: 'a', prefix: false }] },
            { kind: 'term', field: 'service', values: [{ value: 'b', prefix: false }] },
          ],
        },
        { kind: 'term', field: 'service', values: [{ value: 'c', prefix: false }] },
      ],
    });
  });

  it('unescapes quoted values', () => {
    const node = parseQuery('service:"quote\\"and\\\\backslash"');
    expect(node).toEqual({
      kind: 'term',
      field: 'service',
      values: [{ value: 'quote"and\\backslash', prefix: false }],
    });
  });

  it.each([
    ['free text', 'timeout', /free-text search/],
    ['unknown field', 'host:web-1', /unsupported field "host"/],
    ['unbalanced parenthesis', '(service:a', /missing "\)"/],
    ['unterminated quote', 'service:"abc', /unterminated quoted value/],
    ['AND inside a value list', 'service:(a AND b)', /separated by OR/],
    ['range', 'service:[a TO b]', /ranges and comparisons/],
    ['inner wildcard', 'service:a*b', /trailing "\*"/],
    ['missing value', 'service: a', /missing value/],
    ['dangling operator', 'service:a OR', /ends where a term was expected/],
  ])('rejects %s with a clear message', (_name, query, message) => {
    expect(() => parseQuery(query)).toThrow(QuerySyntaxError);
    expect(() => parseQuery(query)).toThrow(message);
  });
});

describe('matchesQuery', () => {
  it('matches quoted odd service names exactly', () => {
    for (const name of [
      'with space',
      'a=b',
      '100%',
      '#hash',
      'ünïcödé',
      'payments/api',
      'ctrl\u0007char',
      'quote"and\\backslash',
    ]) {
      expect(matches(`service:${quoteQueryValue(name)}`, issue(name))).toBe(true);
      expect(matches(`service:${quoteQueryValue(name)}`, issue(`${name}x`))).toBe(false);
    }
    expect(matches('service:("a=b" OR "100%")', issue('100%'))).toBe(true);
    expect(matches('service:a=b', issue('a=b'))).toBe(true);
  });

  it('matches an empty service only with service:"" and a missing service only negatively', () => {
    expect(matches('service:""', issue(''))).toBe(true);
    expect(matches('service:""', issue(undefined))).toBe(false);
    expect(matches('service:*', issue(undefined))).toBe(false);
    expect(matches('-service:("a" OR "b")', issue(undefined))).toBe(true);
    expect(matches('NOT service:""', issue(undefined))).toBe(true);
    expect(matches('-service:""', issue(''))).toBe(false);
  });

  it('supports prefix wildcards, aliases and case-insensitive enum fields', () => {
    expect(matches('service:orders-*', issue('orders-api'))).toBe(true);
    expect(matches('@service:orders-*', issue('payments-api'))).toBe(false);
    expect(matches('@language:go', issue('x', { languages: ['PYTHON', 'GO'] }))).toBe(true);
    expect(matches('platform:browser', issue('x', { platform: 'BROWSER' }))).toBe(true);
    expect(matches('@error.type:"builtins.TypeError"', issue('x'))).toBe(true);
    expect(matches('error.type:builtins.*', issue('x'))).toBe(true);
    expect(matches('error.type:builtins.typeerror', issue('x'))).toBe(false);
  });

  it('combines NOT, AND, OR and parentheses', () => {
    const target = issue('orders-api', { languages: ['GO'] });
    expect(matches('(service:orders-api OR service:b) AND NOT @language:python', target)).toBe(true);
    expect(matches('service:b OR (service:orders-api -@language:go)', target)).toBe(false);
    expect(matches('-(service:a OR service:b)', target)).toBe(true);
  });
});

describe('ignoringFields', () => {
  const ignoring = (query: string, behaviour: IgnoredFieldBehaviour, target: ReturnType<typeof issue>) =>
    matchesQuery(ignoringFields(parseQuery(query), new Map([['error.type', behaviour]])), target);
  const typeError = issue('api', { errorType: 'TypeError' });

  it('drops a term on an ignored field, negated or not, and keeps the rest of the query', () => {
    expect(ignoring('service:api AND @error.type:KeyError', 'dropped', typeError)).toBe(true);
    expect(ignoring('service:api -@error.type:(TypeError OR KeyError)', 'dropped', typeError)).toBe(true);
    expect(ignoring('service:web AND @error.type:TypeError', 'dropped', typeError)).toBe(false);
    expect(ignoring('(service:web) OR (service:api AND @error.type:KeyError)', 'dropped', typeError)).toBe(
      true,
    );
    expect(ignoring('@error.type:KeyError', 'dropped', typeError)).toBe(true);
  });

  it('lets a term on an unmatched field match nothing, so its negation matches everything', () => {
    expect(ignoring('service:api AND @error.type:TypeError', 'unmatched', typeError)).toBe(false);
    expect(ignoring('service:api -@error.type:TypeError', 'unmatched', typeError)).toBe(true);
    expect(ignoring('(service:api) OR (@error.type:TypeError)', 'unmatched', typeError)).toBe(true);
  });

  it('lets a term on a field a strict parser does not know match nothing, negated or not', () => {
    expect(ignoring('service:api AND @error.type:TypeError', 'strict', typeError)).toBe(false);
    expect(ignoring('service:api -@error.type:KeyError', 'strict', typeError)).toBe(false);
    expect(ignoring('(service:api) OR (-@error.type:KeyError)', 'strict', typeError)).toBe(true);
  });

  it('leaves other fields and an empty set of ignored fields alone', () => {
    const node = parseQuery('service:web');
    expect(ignoringFields(node, new Map())).toBe(node);
    expect(ignoring('service:web', 'dropped', typeError)).toBe(false);
  });
});
