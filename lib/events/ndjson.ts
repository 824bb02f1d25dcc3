/**
 * Events appended to a local NDJSON file, one line per event in the shape an EventBridge rule target
 * receives, with `id` set to the exporter's deterministic event id. Re-runs do not append an id the file
 * already holds, so a run that crashed after publishing and is run again does not duplicate lines.
 */

import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { EventSink, IssueEvent, IssueEventDetail } from './types';

export interface NdjsonEventSinkOptions {
  /** Stand-ins for the fields EventBridge fills in. */
  account?: string;
  region?: string;
}

/** The envelope EventBridge delivers to rule targets. */
export interface DeliveredEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  /** ISO 8601 to the second, as EventBridge writes it. */
  time: string;
  region: string;
  resources: string[];
  detail: IssueEventDetail;
}

export function toDeliveredEvent(event: IssueEvent, account: string, region: string): DeliveredEvent {
  return {
    version: '0',
    id: event.id,
    'detail-type': event.detailType,
    source: event.source,
    account,
    time: event.time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: event.resources,
    detail: event.detail,
  };
}

async function readExistingIds(filePath: string): Promise<{ ids: Set<string>; endsWithNewline: boolean }> {
  let text: string;
  try {
    text = await readFile(filePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ids: new Set(), endsWithNewline: true };
    throw error;
  }
  const ids = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const id = (JSON.parse(line) as { id?: unknown }).id;
      if (typeof id === 'string') ids.add(id);
    } catch {
      // A line cut short by a crash mid-append; its event is appended again in full.
    }
  }
  return { ids, endsWithNewline: text.length === 0 || text.endsWith('\n') };
}

export function createNdjsonEventSink(filePath: string, options: NdjsonEventSinkOptions = {}): EventSink {
  const absolutePath = path.resolve(filePath);
  const account = options.account ?? '000000000000';
  const region = options.region ?? 'us-east-1';
  return {
    target: absolutePath,
    async publish(events) {
      const { ids, endsWithNewline } = await readExistingIds(absolutePath);
      const lines: string[] = [];
      for (const event of events) {
        if (ids.has(event.id)) continue;
        ids.add(event.id);
        lines.push(JSON.stringify(toDeliveredEvent(event, account, region)));
      }
      if (lines.length === 0) return { published: 0 };
      await mkdir(path.dirname(absolutePath), { recursive: true });
      await appendFile(absolutePath, `${endsWithNewline ? '' : '\n'}${lines.join('\n')}\n`);
      return { published: lines.length };
    },
  };
}
