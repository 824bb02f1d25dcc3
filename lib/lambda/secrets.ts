/**
 * The Datadog keys, read from Secrets Manager once per container. The secret's value is a JSON object
 * `{"DD_API_KEY": "...", "DD_APP_KEY": "..."}`. Neither the value nor any part of it ever reaches an error
 * message or a log line.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../errors';

/** Only `send` is used, so tests can pass a fake that records commands. */
export type SecretsManagerSendClient = Pick<SecretsManagerClient, 'send'>;

export interface DatadogKeys {
  readonly apiKey: string;
  readonly appKey: string;
}

export interface DatadogKeysLoader {
  /** The keys, fetched on the first call and cached until `invalidate`. */
  get(): Promise<DatadogKeys>;
  /** Forgets the cached keys, so that rotated keys are read on the next call. */
  invalidate(): void;
}

/** The secret is missing, unreadable, or lacks a key. */
export class DatadogSecretError extends ConfigError {}

const FIELDS = [
  ['DD_API_KEY', 'apiKey'],
  ['DD_APP_KEY', 'appKey'],
] as const;

function keysFromSecretString(secretString: string | undefined, secretId: string): DatadogKeys {
  if (secretString === undefined) {
    throw new DatadogSecretError(
      `Secret ${secretId} has no string value: store {"DD_API_KEY":"…","DD_APP_KEY":"…"} as its secret string`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    // The parser's message quotes the text around the error, which is the secret itself.
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DatadogSecretError(
      `Secret ${secretId} is not a JSON object: store {"DD_API_KEY":"…","DD_APP_KEY":"…"} as its secret string`,
    );
  }
  const record = parsed as Record<string, unknown>;
  const keys: Partial<Record<'apiKey' | 'appKey', string>> = {};
  for (const [field, property] of FIELDS) {
    const value = record[field];
    if (typeof value !== 'string' || value.trim() === '') {
      throw new DatadogSecretError(
        `Secret ${secretId} has no ${field}: add "${field}" with the Datadog ${field === 'DD_API_KEY' ? 'API key' : 'application key'} to its JSON`,
      );
    }
    keys[property] = value.trim();
  }
  return keys as DatadogKeys;
}

async function fetchKeys(client: SecretsManagerSendClient, secretId: string): Promise<DatadogKeys> {
  let secretString: string | undefined;
  try {
    const response = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    secretString = response.SecretString;
  } catch (error) {
    const { name, message } = error as Error;
    throw new DatadogSecretError(
      `Reading secret ${secretId} failed (${name}: ${String(message).split('\n')[0]}): check DD_SECRET_ARN and the function's secretsmanager:GetSecretValue permission`,
    );
  }
  return keysFromSecretString(secretString, secretId);
}

/** Caches one fetch per container; a failed fetch is not cached, so the next invocation tries again. */
export function createDatadogKeysLoader(
  client: SecretsManagerSendClient,
  secretId: string,
): DatadogKeysLoader {
  let cached: Promise<DatadogKeys> | undefined;
  return {
    get() {
      if (!cached) {
        const pending = fetchKeys(client, secretId);
        cached = pending;
        pending.catch(() => {
          if (cached === pending) cached = undefined;
        });
      }
      return cached;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
