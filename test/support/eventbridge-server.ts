/**
 * A minimal EventBridge endpoint on 127.0.0.1 that speaks AWS JSON 1.1 `AWSEvents.PutEvents`, records
 * what it receives, and can reject chosen entries the way EventBridge does (per-entry ErrorCode,
 * FailedEntryCount), so the real `@aws-sdk/client-eventbridge` client can be tested against it.
 */

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

export interface ReceivedEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  /** Epoch seconds, as the AWS JSON protocol sends timestamps. */
  Time?: number;
  EventBusName?: string;
  /** How many times this entry (same Detail) has been received, this one included. */
  attempt: number;
}

export interface EntryRejection {
  ErrorCode: string;
  ErrorMessage: string;
}

/** Returns a rejection to fail the entry, or undefined to accept it. */
export type RejectEntry = (entry: ReceivedEntry) => EntryRejection | undefined;

/** Fails the first `attempts` deliveries of matching entries, then accepts them. */
export function failFirstAttempts(
  matches: (entry: ReceivedEntry) => boolean,
  attempts: number,
  rejection: EntryRejection = { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service error' },
): RejectEntry {
  return (entry) => (matches(entry) && entry.attempt <= attempts ? rejection : undefined);
}

export interface RequestError {
  status: number;
  type: string;
  message: string;
}

export interface PutEventsRequestRecord {
  contentType: string | undefined;
  entries: ReceivedEntry[];
}

export interface RunningEventBridgeServer {
  endpoint: string;
  /** A real EventBridge client pointed at this server with dummy credentials. */
  client: EventBridgeClient;
  /** Every PutEvents request, in arrival order. */
  readonly requests: PutEventsRequestRecord[];
  /** Entries that were accepted, in arrival order. */
  readonly accepted: ReceivedEntry[];
  setRejectEntry(rejectEntry: RejectEntry | undefined): void;
  /** Fails whole requests with this AWS error until cleared, such as 400 ResourceNotFoundException. */
  setRequestError(error: RequestError | undefined): void;
  close(): Promise<void>;
}

const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

const readBody = async (request: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const sendJson = (response: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': JSON_CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(text);
};

export async function startEventBridgeServer(
  options: { rejectEntry?: RejectEntry } = {},
): Promise<RunningEventBridgeServer> {
  let rejectEntry = options.rejectEntry;
  let requestError: RequestError | undefined;
  const requests: PutEventsRequestRecord[] = [];
  const accepted: ReceivedEntry[] = [];
  const attemptsByDetail = new Map<string, number>();

  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    const target = request.headers['x-amz-target'];
    if (request.method !== 'POST' || target !== 'AWSEvents.PutEvents') {
      sendJson(response, 400, {
        __type: 'UnknownOperationException',
        message: `Unsupported target ${target}`,
      });
      return;
    }
    if (requestError) {
      sendJson(response, requestError.status, { __type: requestError.type, message: requestError.message });
      return;
    }
    let parsed: { Entries?: Array<Omit<ReceivedEntry, 'attempt'>> };
    try {
      parsed = JSON.parse(body);
    } catch {
      sendJson(response, 400, { __type: 'SerializationException', message: 'Body is not JSON' });
      return;
    }
    const entries = (parsed.Entries ?? []).map((entry): ReceivedEntry => {
      const key = entry.Detail ?? '';
      const attempt = (attemptsByDetail.get(key) ?? 0) + 1;
      attemptsByDetail.set(key, attempt);
      return { ...entry, attempt };
    });
    if (entries.length === 0 || entries.length > 10) {
      sendJson(response, 400, {
        __type: 'ValidationException',
        message: `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10`,
      });
      return;
    }
    requests.push({ contentType: request.headers['content-type'], entries });
    let failed = 0;
    const results = entries.map((entry) => {
      const rejection = rejectEntry?.(entry);
      if (rejection) {
        failed++;
        return { ErrorCode: rejection.ErrorCode, ErrorMessage: rejection.ErrorMessage };
      }
      accepted.push(entry);
      return { EventId: randomUUID() };
    });
    sendJson(response, 200, { FailedEntryCount: failed, Entries: results });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new EventBridgeClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    endpoint,
    client,
    requests,
    accepted,
    setRejectEntry(next) {
      rejectEntry = next;
    },
    setRequestError(next) {
      requestError = next;
    },
    async close() {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
