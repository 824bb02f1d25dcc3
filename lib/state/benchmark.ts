/** Load and commit timings of a state store at a given size, for `bench/`. */

import { createEmptyStateDocument, type StateDocument, type StateStore } from './document';

const STATES = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED', 'IGNORED'];

/** Deterministic document with realistic value spread: UUID ids, 300 services, 2,000 assignees. */
export function createSyntheticStateDocument(issueCount: number, now = Date.UTC(2025, 0, 1)): StateDocument {
  const document = createEmptyStateDocument();
  document.baseline_done = true;
  document.watermark = now;
  document.sequence = 42;
  let seed = 0x9e3779b9;
  const random = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const hex = (length: number) => {
    let text = '';
    while (text.length < length)
      text += Math.floor(random() * 2 ** 32)
        .toString(16)
        .padStart(8, '0');
    return text.slice(0, length);
  };
  for (let index = 0; index < issueCount; index++) {
    const issueId = `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
    const lastCheckedAt = now - Math.floor(random() * 7 * 86_400_000);
    const seenRecently = random() < 0.7;
    document.issues.set(issueId, {
      issue_id: issueId,
      state: STATES[Math.floor(random() * STATES.length)] ?? 'OPEN',
      assignee_id: random() < 0.4 ? `user-${Math.floor(random() * 2000)}` : null,
      service: `service-${Math.floor(random() * 300)}`,
      last_seen_at: seenRecently ? lastCheckedAt : lastCheckedAt - Math.floor(random() * 30 * 86_400_000),
      last_checked_at: lastCheckedAt,
      state_version: 1 + Math.floor(random() * 5),
      state_observed_at: lastCheckedAt - Math.floor(random() * 90 * 86_400_000),
    });
  }
  return document;
}

export interface StateStoreTimings {
  issueCount: number;
  commitMs: number;
  loadMs: number;
}

/** Commits `document` to an empty `store`, then loads it back. */
export async function measureStateStore(
  store: StateStore,
  document: StateDocument,
): Promise<StateStoreTimings> {
  const commitStarted = performance.now();
  await store.commit(document, (await store.load()).revision);
  const commitMs = performance.now() - commitStarted;
  const loadStarted = performance.now();
  const loaded = await store.load();
  const loadMs = performance.now() - loadStarted;
  if (loaded.document.issues.size !== document.issues.size) {
    throw new Error(`Loaded ${loaded.document.issues.size} issues, committed ${document.issues.size}`);
  }
  return { issueCount: document.issues.size, commitMs, loadMs };
}
