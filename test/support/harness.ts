import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatadogClient } from '../../lib/datadog/client';
import type { SearchScope } from '../../lib/enumerate/scope';
import { type ExportDependencies, type ExportOptions, type RunManifest, runExport } from '../../lib/pipeline';
import {
  DEFAULT_API_KEY,
  DEFAULT_APP_KEY,
  type GroundTruthOptions,
  generateOrg,
  type OrgOptions,
  type RunningSimulator,
  type SimulatorOptions,
  startSimulator,
} from '../../lib/simulator';
import { compareWithGroundTruth, type GroundTruthComparison } from '../../lib/simulator/verify';
import { openWarehouse, type Warehouse } from '../../lib/warehouse/duckdb';
import { createLocalSink } from '../../lib/warehouse/local-sink';

export const HOUR = 3_600_000;

export interface Harness {
  readonly simulator: RunningSimulator;
  readonly outDir: string;
  export(
    options?: Partial<ExportOptions>,
    clientOptions?: { concurrency?: number },
    dependencies?: Partial<ExportDependencies>,
  ): Promise<RunManifest>;
  /** Compares the warehouse with the simulator's ground truth over the org's range. */
  verify(
    range?: { from: number; to: number },
    filter?: Omit<GroundTruthOptions, 'from' | 'to' | 'bucketMs'>,
  ): Promise<GroundTruthComparison>;
  warehouse(): Promise<Warehouse>;
  close(): Promise<void>;
}

export const ALL: SearchScope[] = [{ query: '*', persona: 'ALL' }];

/** A simulator on loopback, a temporary warehouse folder, and the real HTTP client between them. */
export async function startHarness(
  orgOptions: OrgOptions,
  simulatorOptions: Omit<SimulatorOptions, 'org'> = {},
): Promise<Harness> {
  const org = generateOrg(orgOptions);
  const simulator = await startSimulator({ org, ...simulatorOptions });
  const outDir = await mkdtemp(join(tmpdir(), 'ete-warehouse-'));
  const open: Warehouse[] = [];
  return {
    simulator,
    outDir,
    async export(options = {}, clientOptions = {}, dependencies = {}) {
      const api = createDatadogClient({
        baseUrl: simulator.url,
        apiKey: DEFAULT_API_KEY,
        appKey: DEFAULT_APP_KEY,
        concurrency: clientOptions.concurrency ?? 4,
        sleep: async (ms: number) => {
          await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 50)));
        },
      });
      return runExport(
        { from: org.from, to: org.to, bucketMs: HOUR, scopes: ALL, ...options },
        { api, sink: createLocalSink(outDir), ...dependencies },
      );
    },
    async verify(range = { from: org.from, to: org.to }, filter = {}) {
      const warehouse = await openWarehouse(outDir);
      try {
        return await compareWithGroundTruth(
          warehouse,
          simulator.groundTruth({ ...filter, ...range, bucketMs: HOUR }),
          range,
        );
      } finally {
        warehouse.close();
      }
    },
    async warehouse() {
      const warehouse = await openWarehouse(outDir);
      open.push(warehouse);
      return warehouse;
    },
    async close() {
      for (const warehouse of open) warehouse.close();
      await simulator.close();
      await rm(outDir, { recursive: true, force: true });
    },
  };
}
