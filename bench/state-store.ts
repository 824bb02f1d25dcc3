/** Section 6: commit and load times of the local state store holding many tracked issues. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalStateStore, createSyntheticStateDocument, measureStateStore } from '../lib/state';
import { median, round } from './stats';

export interface StateStoreResult {
  readonly issues: number;
  readonly saveMs: { readonly runs: number[]; readonly median: number };
  readonly loadMs: { readonly runs: number[]; readonly median: number };
}

export async function measureStateStoreTimes(issues: number, runs: number): Promise<StateStoreResult> {
  const document = createSyntheticStateDocument(issues);
  const saves: number[] = [];
  const loads: number[] = [];
  for (let run = 0; run < runs; run++) {
    // measureStateStore commits to an empty store, so each run gets a fresh folder.
    const directory = await mkdtemp(join(tmpdir(), 'ete-bench-state-'));
    try {
      const timings = await measureStateStore(createLocalStateStore(directory), document);
      saves.push(timings.commitMs);
      loads.push(timings.loadMs);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }
  const summary = (values: number[]) => ({
    runs: values.map((value) => round(value, 0)),
    median: round(median(values), 0),
  });
  return { issues, saveMs: summary(saves), loadMs: summary(loads) };
}
