/**
 * The simulated Datadog in its own process, so the exporter's peak RSS (measured in another child) does
 * not include the org and its occurrences, and both sides get a core each. Protocol: `input` (org options,
 * how the API differs from the reference's)
 * → `ready` (url) … `stop` → `result` (this process's peak RSS and request counts).
 */
import { generateOrg, type OrgOptions, startSimulator } from '../lib/simulator';
import { peakRssBytes } from './child';
import type { ApiVariant } from './enumeration';

export interface SimulatorChildReady {
  readonly url: string;
  readonly issues: number;
  readonly generateMs: number;
}

export interface SimulatorChildResult {
  readonly peakRssBytes: number;
  readonly requests: number;
  readonly searches: number;
  readonly byStatus: Record<string, number>;
}

interface SimulatorChildInput {
  readonly org: OrgOptions;
  readonly api?: ApiVariant;
}

process.once('message', async (message: { type: string; value: SimulatorChildInput }) => {
  try {
    const started = performance.now();
    const org = generateOrg(message.value.org);
    const generateMs = performance.now() - started;
    const simulator = await startSimulator({ org, ...message.value.api });
    process.on('message', async (next: { type: string }) => {
      if (next.type !== 'stop') return;
      const { requests, searches, byStatus } = simulator.stats;
      const result: SimulatorChildResult = { peakRssBytes: peakRssBytes(), requests, searches, byStatus };
      await simulator.close();
      process.send?.({ type: 'result', value: result }, () => process.exit(0));
    });
    const ready: SimulatorChildReady = { url: simulator.url, issues: org.issues.length, generateMs };
    process.send?.({ type: 'ready', value: ready });
  } catch (error) {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.send?.({ type: 'error', message: text }, () => process.exit(1));
  }
});
