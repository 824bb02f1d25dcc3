/**
 * One export in its own process, wired exactly like test/support/harness.ts (real HTTP client, four
 * requests in flight, one-hour buckets, scope `*` for every persona, a local warehouse folder), reporting
 * its own peak RSS. Search responses are counted by size to explain where searches above the bound go.
 */

import { wasmMemory } from 'parquet-wasm/node';
import type { ErrorTrackingApi } from '../lib/datadog/api';
import { createDatadogClient } from '../lib/datadog/client';
import { isSaturated } from '../lib/enumerate/split';
import { type RunStatus, runExport } from '../lib/pipeline';
import { DEFAULT_API_KEY, DEFAULT_APP_KEY } from '../lib/simulator';
import { createLocalSink } from '../lib/warehouse/local-sink';
import { peakRssBytes, serveBenchChild } from './child';

export interface ExportChildInput {
  readonly simulatorUrl: string;
  readonly from: number;
  readonly to: number;
  readonly bucketMs: number;
  readonly outDir: string;
}

export interface SearchResponseCounts {
  /** Responses at the 100-result cap: the window had to be divided and searched again. */
  readonly saturated: number;
  /** Responses under the cap: their results are final. */
  readonly leaves: number;
  readonly leafResults: number;
  readonly emptyLeaves: number;
}

export interface ExportChildResult {
  readonly status: RunStatus;
  readonly searches: number;
  readonly requests: number;
  readonly rows: number;
  readonly files: number;
  readonly splits: Record<string, number>;
  readonly incompleteWindows: number;
  readonly searchesByBucket: ReadonlyArray<{ readonly start: number; readonly searches: number }>;
  readonly searchResponses: SearchResponseCounts;
  readonly hydration: Record<string, number>;
  readonly wallMs: number;
  readonly peakRssBytes: number;
  /** Where the memory is at the end of the run (WebAssembly memory never shrinks, so it is at its peak). */
  readonly memoryAtEnd: {
    readonly rssBytes: number;
    readonly heapUsedBytes: number;
    readonly heapTotalBytes: number;
    readonly externalBytes: number;
    readonly parquetWasmBytes: number;
  };
  /** Peak RSS so far after each finished bucket, to see how memory grows with rows. */
  readonly rssByRows: ReadonlyArray<{ readonly rows: number; readonly peakRssBytes: number }>;
}

function countingSearches(api: ErrorTrackingApi): { api: ErrorTrackingApi; counts: SearchResponseCounts } {
  const counts = { saturated: 0, leaves: 0, leafResults: 0, emptyLeaves: 0 };
  const wrapped: ErrorTrackingApi = {
    stats: api.stats,
    getIssue: (issueId) => api.getIssue(issueId),
    getCase: (caseId) => api.getCase(caseId),
    getTeam: (teamId) => api.getTeam(teamId),
    getUser: (userId) => api.getUser(userId),
    async searchIssues(attributes) {
      const response = await api.searchIssues(attributes);
      const size = response.data.length;
      if (isSaturated(size)) counts.saturated += 1;
      else {
        counts.leaves += 1;
        counts.leafResults += size;
        if (size === 0) counts.emptyLeaves += 1;
      }
      return response;
    },
  };
  return { api: wrapped, counts };
}

export async function runExportChild(input: ExportChildInput): Promise<ExportChildResult> {
  const client = createDatadogClient({
    baseUrl: input.simulatorUrl,
    apiKey: DEFAULT_API_KEY,
    appKey: DEFAULT_APP_KEY,
    concurrency: 4,
    sleep: async (ms: number) => {
      await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 50)));
    },
  });
  const { api, counts } = countingSearches(client);
  const rssByRows: Array<{ rows: number; peakRssBytes: number }> = [];
  const started = performance.now();
  const manifest = await runExport(
    {
      from: input.from,
      to: input.to,
      bucketMs: input.bucketMs,
      scopes: [{ query: '*', persona: 'ALL' }],
    },
    {
      api,
      sink: createLocalSink(input.outDir),
      onProgress: (progress) => rssByRows.push({ rows: progress.rows, peakRssBytes: peakRssBytes() }),
    },
  );
  const wallMs = performance.now() - started;
  const memory = process.memoryUsage();
  return {
    status: manifest.status,
    searches: manifest.searches,
    requests: manifest.api.requests,
    rows: manifest.rows,
    files: manifest.files.length,
    splits: manifest.splits,
    incompleteWindows: manifest.incomplete_windows.length,
    searchesByBucket: manifest.buckets.detail.map((bucket) => ({
      start: Date.parse(bucket.start),
      searches: bucket.searches,
    })),
    searchResponses: counts,
    hydration: { ...manifest.hydration } as Record<string, number>,
    wallMs,
    peakRssBytes: peakRssBytes(),
    memoryAtEnd: {
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      externalBytes: memory.external,
      parquetWasmBytes: wasmMemory().buffer.byteLength,
    },
    rssByRows,
  };
}

serveBenchChild(runExportChild);
