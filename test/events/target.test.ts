import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors';
import { parseEventsTarget } from '../../lib/events/target';

describe('parseEventsTarget', () => {
  it('reads a file path as an absolute NDJSON target', () => {
    expect(parseEventsTarget('out/events.ndjson')).toEqual({
      kind: 'file',
      path: path.resolve('out/events.ndjson'),
    });
  });

  it('reads eventbridge: with a bus name or ARN', () => {
    expect(parseEventsTarget('eventbridge:errors-bus')).toEqual({
      kind: 'eventbridge',
      eventBusName: 'errors-bus',
    });
    const arn = 'arn:aws:events:eu-west-1:123456789012:event-bus/errors-bus';
    expect(parseEventsTarget(`eventbridge:${arn}`)).toEqual({ kind: 'eventbridge', eventBusName: arn });
  });

  it.each(['', 'eventbridge:', 'eventbridge:bad bus', 's3://bucket/events.ndjson'])('rejects %j', (value) => {
    expect(() => parseEventsTarget(value)).toThrow(ConfigError);
  });
});
