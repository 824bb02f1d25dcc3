import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import {
  type DatadogSettings,
  datadogSettingsFromEnvironment,
  type ExportSettings,
  parseExportSettings,
} from '../config';
import { createDatadogClient } from '../datadog/client';
import { isDatadogSite } from '../datadog/sites';
import { ConfigError } from '../errors';
import { createEventSink, parseEventsTarget } from '../events';
import { type RunManifest, runExport } from '../pipeline';
import { createStateStore, parseStateLocation } from '../state';
import type { StateTrackingOptions } from '../state-tracking';
import { createSink, formatWarehouseLocation, parseWarehouseLocation } from '../warehouse/location';
import { progressReporter } from './progress';

export const EXIT_INCOMPLETE = 3;

export interface ExportCommandIo {
  readonly environment: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WriteStream;
  readonly now: () => number;
}

/** The JSON printed on stdout: the manifest without its long lists, plus where to find the rest. */
export function runSummary(manifest: RunManifest, manifestLocation: string) {
  const { detail: _detail, ...buckets } = manifest.buckets;
  return {
    run_id: manifest.run_id,
    status: manifest.status,
    manifest: manifestLocation,
    range: manifest.range,
    bucket: manifest.bucket,
    buckets,
    searches: manifest.searches,
    plans_loaded: manifest.plans_loaded,
    searches_by_state: manifest.searches_by_state,
    splits: manifest.splits,
    splits_not_used: manifest.splits_not_used,
    incomplete_windows: manifest.incomplete_windows.length,
    rows: manifest.rows,
    files: manifest.files.length,
    state: manifest.state,
    api: manifest.api,
    durations_ms: manifest.durations_ms,
  };
}

export function exitCodeFor(manifest: RunManifest): number {
  return manifest.status === 'complete' ? 0 : EXIT_INCOMPLETE;
}

/** State tracking from `--state` and `--events`; AWS clients are created only for s3:// and eventbridge: targets. */
export function stateTrackingFor(
  settings: ExportSettings,
  datadog: DatadogSettings,
): StateTrackingOptions | undefined {
  if (settings.events && !settings.state) {
    throw new ConfigError(
      '--events needs --state: changes are detected against the state of the previous run',
    );
  }
  if (!settings.state) return undefined;
  const stateLocation = parseStateLocation(settings.state);
  const eventsTarget = settings.events ? parseEventsTarget(settings.events) : undefined;
  return {
    store: createStateStore(stateLocation, stateLocation.kind === 's3' ? { s3Client: new S3Client({}) } : {}),
    ...(eventsTarget
      ? {
          events: createEventSink(
            eventsTarget,
            eventsTarget.kind === 'eventbridge' ? { eventBridgeClient: new EventBridgeClient({}) } : {},
          ),
        }
      : {}),
    eventOptions: {
      site: datadog.site,
      ...(isDatadogSite(datadog.site) ? {} : { appBaseUrl: datadog.baseUrl }),
    },
  };
}

export async function exportWithSettings(
  settings: ExportSettings,
  datadog: DatadogSettings,
  io: ExportCommandIo,
): Promise<RunManifest> {
  const location = parseWarehouseLocation(settings.out);
  const sink = createSink(location);
  const stateTracking = stateTrackingFor(settings, datadog);
  const api = createDatadogClient({
    baseUrl: datadog.baseUrl,
    apiKey: datadog.apiKey,
    appKey: datadog.appKey,
    concurrency: settings.concurrency,
  });
  const progress = progressReporter(io.stderr);
  try {
    return await runExport(
      {
        from: settings.from,
        to: settings.to,
        bucketMs: settings.bucketMs,
        scopes: settings.scopes,
        stateSplits: settings.stateSplits,
        trackSplits: settings.trackSplits,
        issuePages: settings.issuePages,
      },
      { api, sink, now: io.now, onProgress: progress, ...(stateTracking ? { stateTracking } : {}) },
    );
  } finally {
    progress.done();
  }
}

export async function exportCommand(argv: readonly string[], io: ExportCommandIo): Promise<number> {
  const settings = parseExportSettings(argv, io.now());
  const datadog = datadogSettingsFromEnvironment(io.environment);
  const manifest = await exportWithSettings(settings, datadog, io);
  const manifestLocation = `${formatWarehouseLocation(parseWarehouseLocation(settings.out))}/_runs/${manifest.run_id}.json`;
  io.stdout.write(`${JSON.stringify(runSummary(manifest, manifestLocation), null, 2)}\n`);
  return exitCodeFor(manifest);
}
