import {
  type DatadogSettings,
  datadogSettingsFromEnvironment,
  type ExportSettings,
  parseExportSettings,
} from '../config';
import { createDatadogClient } from '../datadog/client';
import { type RunManifest, runExport } from '../pipeline';
import { createSink, parseWarehouseLocation } from '../warehouse/location';
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
    splits: manifest.splits,
    incomplete_windows: manifest.incomplete_windows.length,
    rows: manifest.rows,
    files: manifest.files.length,
    api: manifest.api,
    durations_ms: manifest.durations_ms,
  };
}

export function exitCodeFor(manifest: RunManifest): number {
  return manifest.status === 'complete' ? 0 : EXIT_INCOMPLETE;
}

export async function exportWithSettings(
  settings: ExportSettings,
  datadog: DatadogSettings,
  io: ExportCommandIo,
): Promise<RunManifest> {
  const location = parseWarehouseLocation(settings.out);
  const sink = createSink(location);
  const api = createDatadogClient({
    baseUrl: datadog.baseUrl,
    apiKey: datadog.apiKey,
    appKey: datadog.appKey,
    concurrency: settings.concurrency,
  });
  const progress = progressReporter(io.stderr);
  try {
    return await runExport(
      { from: settings.from, to: settings.to, bucketMs: settings.bucketMs, scopes: settings.scopes },
      { api, sink, now: io.now, onProgress: progress },
    );
  } finally {
    progress.done();
  }
}

export async function exportCommand(argv: readonly string[], io: ExportCommandIo): Promise<number> {
  const settings = parseExportSettings(argv, io.now());
  const datadog = datadogSettingsFromEnvironment(io.environment);
  const manifest = await exportWithSettings(settings, datadog, io);
  const root = parseWarehouseLocation(settings.out);
  const manifestLocation = `${root.kind === 'local' ? root.path : `s3://${root.bucket}/${root.prefix}`}/_runs/${manifest.run_id}.json`;
  io.stdout.write(`${JSON.stringify(runSummary(manifest, manifestLocation), null, 2)}\n`);
  return exitCodeFor(manifest);
}
