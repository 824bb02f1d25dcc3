/** PutEvents limits, and entry size counted the way EventBridge counts it. */

export const PUT_EVENTS_MAX_ENTRIES = 10;
export const PUT_EVENTS_MAX_REQUEST_BYTES = 256 * 1024;
/** EventBridge counts a fixed 14 bytes for `Time` when it is set. */
const TIME_BYTES = 14;

export interface SizedEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  Time?: Date;
}

/** Sum of the UTF-8 bytes of Source, DetailType, Detail and Resources, plus 14 for Time. */
export function putEventsEntrySize(entry: SizedEntry): number {
  let size = entry.Time ? TIME_BYTES : 0;
  if (entry.Source) size += Buffer.byteLength(entry.Source, 'utf8');
  if (entry.DetailType) size += Buffer.byteLength(entry.DetailType, 'utf8');
  if (entry.Detail) size += Buffer.byteLength(entry.Detail, 'utf8');
  for (const resource of entry.Resources ?? []) size += Buffer.byteLength(resource, 'utf8');
  return size;
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, truncated: false };
  return { text: truncateUtf8Bytes(bytes, maxBytes), truncated: true };
}

/** The longest prefix of UTF-8 `bytes` of at most `maxBytes` that ends on a character boundary. */
export function truncateUtf8Bytes(bytes: Buffer, maxBytes: number): string {
  let end = Math.min(bytes.length, Math.max(0, maxBytes));
  // Step back over continuation bytes (10xxxxxx) to the start of the character that would be split.
  while (end > 0 && end < bytes.length && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
