import { ConfigError } from '../lib/errors';
import { parseScheduleExpression } from './export-schedule';
import type { ErrorTrackingExportStackProps } from './stack';

/** Reads one context value (from `cdk.json` or `-c key=value`); `undefined` when unset. */
export type ContextReader = (key: string) => unknown;

function text(read: ContextReader, key: string): string | undefined {
  const value = read(key);
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  return String(value).trim();
}

function positiveInteger(read: ContextReader, key: string): number | undefined {
  const value = text(read, key);
  if (value === undefined) {
    return undefined;
  }
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new ConfigError(`-c ${key}=${value}: expected a positive whole number.`);
  }
  return parsed;
}

function flag(read: ContextReader, key: string): boolean | undefined {
  const value = text(read, key);
  if (value === undefined) {
    return undefined;
  }
  if (value !== 'true' && value !== 'false') {
    throw new ConfigError(`-c ${key}=${value}: expected true or false.`);
  }
  return value === 'true';
}

/** Turns CDK context into stack props; unset keys keep the stack defaults. */
export function stackPropsFromContext(read: ContextReader): ErrorTrackingExportStackProps {
  const schedule = text(read, 'schedule');
  const tracks = text(read, 'tracks');
  const objectLockMode = text(read, 'objectLockMode')?.toUpperCase();
  if (objectLockMode !== undefined && objectLockMode !== 'GOVERNANCE' && objectLockMode !== 'COMPLIANCE') {
    throw new ConfigError(`-c objectLockMode=${objectLockMode}: expected GOVERNANCE or COMPLIANCE.`);
  }
  const secretArn = text(read, 'existingSecretArn');
  if (
    secretArn !== undefined &&
    !/^arn:aws[\w-]*:secretsmanager:[^:]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/.test(secretArn)
  ) {
    throw new ConfigError(
      '-c existingSecretArn: expected the complete secret ARN ending in its 6-character suffix (see describe-secret).',
    );
  }
  return {
    datadogSite: text(read, 'site'),
    query: text(read, 'query'),
    persona: text(read, 'persona')?.toUpperCase(),
    tracks: tracks
      ?.split(',')
      .map((track) => track.trim())
      .filter((track) => track !== ''),
    schedule: schedule === undefined ? undefined : parseScheduleExpression(schedule),
    existingSecretArn: secretArn,
    objectLockDays: positiveInteger(read, 'objectLockDays'),
    objectLockMode,
    alarmEmail: text(read, 'alarmEmail'),
    warehousePrefix: text(read, 'warehousePrefix'),
    useDefaultEventBus: flag(read, 'useDefaultEventBus'),
    eventSource: text(read, 'eventSource'),
    metricsNamespace: text(read, 'metricsNamespace'),
    concurrency: positiveInteger(read, 'concurrency'),
    stateSplits: flag(read, 'stateSplits'),
    trackSplits: flag(read, 'trackSplits'),
    issuePages: flag(read, 'issuePages'),
    backfillMaxConcurrency: positiveInteger(read, 'backfillMaxConcurrency'),
    watermarkLagThresholdMinutes: positiveInteger(read, 'watermarkLagThresholdMinutes'),
  };
}
