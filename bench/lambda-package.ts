/**
 * Section 4: bundles `functions/export.ts` with the esbuild settings `infra/bundling.ts` hands to CDK
 * (translated the way CDK's NodejsFunction passes them to esbuild: ESM `index.mjs`, platform node, the
 * banner, minify, source map, no externals since the AWS SDK is bundled), copies the parquet-wasm binary next
 * to it as the `afterBundling` hook does, then imports the bundle in fresh `node` processes.
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { exportBundlingOptions, PARQUET_WASM_FILE, PROJECT_ROOT } from '../infra/bundling';
import { BenchChildError } from './child';
import { median, round, toMegabytes } from './stats';

export interface LambdaPackageResult {
  readonly entry: string;
  readonly bundleBytes: number;
  readonly bundleMB: number;
  readonly sourceMapBytes: number;
  readonly wasmBytes: number;
  readonly wasmMB: number;
  readonly buildSeconds: number;
  /** Time for `await import(bundle)` in a fresh process: the module's part of a Lambda cold start. */
  readonly initMs: { readonly runs: number[]; readonly median: number };
  /** CPU time (user + system) of the same imports. */
  readonly initCpuMs: { readonly runs: number[]; readonly median: number };
  /** Spawn to exit of the same processes, including Node's own start-up. */
  readonly processMs: { readonly runs: number[]; readonly median: number };
  /** Compiling the parquet-wasm module alone (parquet-wasm/node does it synchronously at import). */
  readonly wasmCompileMs: { readonly runs: number[]; readonly median: number };
  /** The same import without `NODE_OPTIONS=--enable-source-maps`, to show what the source map costs. */
  readonly initMsWithoutSourceMaps: { readonly runs: number[]; readonly median: number };
  readonly exports: string[];
  /** One profiled import: CPU time by npm package, mapped through the bundle's source map. */
  readonly initProfileMs: ReadonlyArray<{ readonly name: string; readonly ms: number }>;
  /** Where the bundle's bytes come from, by npm package (`project` for this repository's code). */
  readonly largestPackages: ReadonlyArray<{ readonly name: string; readonly kib: number }>;
  /** Bundling options this translation does not carry over (reported so a new one is not silently lost). */
  readonly untranslatedOptions: string[];
}

const TRANSLATED_OPTIONS = new Set([
  'format',
  'target',
  'banner',
  'minify',
  'sourceMap',
  'sourcesContent',
  'bundleAwsSDK',
  'forceDockerBundling',
  'commandHooks',
  'externalModules',
  'mainFields',
  'keepNames',
  'define',
]);

/**
 * What the stack sets on the function (placeholder ARNs and buckets): the handler module parses its
 * configuration at import time, as Lambda's init phase does, and would fail the cold start without it.
 */
export const LAMBDA_ENVIRONMENT: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'error-tracking-export',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
  NODE_OPTIONS: '--enable-source-maps',
  DD_SITE: 'datadoghq.com',
  DD_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:datadog-keys-AbCdEf',
  WAREHOUSE_URL: 's3://bench-warehouse/warehouse',
  STATE_URL: 's3://bench-warehouse/state',
  EXPORT_PERSONA: 'ALL',
  EVENTS_TARGET: 'eventbridge:arn:aws:events:us-east-1:123456789012:event-bus/error-tracking',
  GLUE_DATABASE: 'error_tracking',
  POWERTOOLS_SERVICE_NAME: 'export',
  // The AWS SDK warns at load time on Node 20, which this machine runs and Lambda's Node 22 does not.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** CPU time next to wall time: on a shared machine, wall time includes waiting for a core. */
const IMPORT_PROBE = [
  'const cpuBefore = process.cpuUsage();',
  'const started = performance.now();',
  'const bundle = await import(process.argv[1]);',
  'const initMs = performance.now() - started;',
  'const cpu = process.cpuUsage(cpuBefore);',
  'const initCpuMs = (cpu.user + cpu.system) / 1000;',
  'console.log(JSON.stringify({ initMs, initCpuMs, exports: Object.keys(bundle) }));',
].join(' ');

function packageOf(inputPath: string): string {
  const match = inputPath.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  return match?.[1] ?? 'project';
}

function largestPackages(
  inputs: Record<string, { bytesInOutput: number }>,
  count: number,
): Array<{ name: string; kib: number }> {
  const bytes = new Map<string, number>();
  for (const [inputPath, input] of Object.entries(inputs)) {
    const name = packageOf(inputPath);
    bytes.set(name, (bytes.get(name) ?? 0) + input.bytesInOutput);
  }
  return [...bytes.entries()]
    .sort((left, right) => right[1] - left[1])
    .slice(0, count)
    .map(([name, size]) => ({ name, kib: round(size / 1024, 0) }));
}

const summarize = (runs: readonly number[]) => ({
  runs: runs.map((value) => round(value, 1)),
  median: round(median(runs), 1),
});

/** Imports the bundle in `runs` fresh processes with only `environment` set (as in Lambda, no tsx). */
function importTimes(
  entry: string,
  outfile: string,
  environment: Readonly<Record<string, string>>,
  runs: number,
): { initMs: number[]; initCpuMs: number[]; processMs: number[]; exports: string[] } {
  const initMs: number[] = [];
  const initCpuMs: number[] = [];
  const processMs: number[] = [];
  let exports: string[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const child = spawnSync(
      process.execPath,
      ['--input-type=module', '--eval', IMPORT_PROBE, pathToFileURL(outfile).href],
      { cwd: dirname(outfile), encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...environment } },
    );
    processMs.push(performance.now() - started);
    if (child.status !== 0) {
      const reason = child.stderr.match(/^\w*Error: .*$/m)?.[0] ?? child.stderr.trim().split('\n')[0];
      throw new BenchChildError(`importing the ${entry} bundle failed: ${reason}`);
    }
    const probe = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as {
      initMs: number;
      initCpuMs: number;
      exports: string[];
    };
    initMs.push(probe.initMs);
    initCpuMs.push(probe.initCpuMs);
    exports = probe.exports;
  }
  return { initMs, initCpuMs, processMs, exports };
}

interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { url: string; functionName: string; lineNumber: number; columnNumber: number };
  }>;
  samples: number[];
  timeDeltas: number[];
}

/** Imports the bundle once under `--cpu-prof` and attributes the sampled CPU time to packages. */
async function profileImport(outfile: string, count: number): Promise<Array<{ name: string; ms: number }>> {
  const profileDir = join(dirname(outfile), 'profile');
  const child = spawnSync(
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${profileDir}`,
      '--input-type=module',
      '--eval',
      IMPORT_PROBE,
      pathToFileURL(outfile).href,
    ],
    { cwd: dirname(outfile), encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...LAMBDA_ENVIRONMENT } },
  );
  if (child.status !== 0) return [];
  const [file] = await readdir(profileDir);
  if (!file) return [];
  const profile = JSON.parse(await readFile(join(profileDir, file), 'utf8')) as CpuProfile;
  const sourceMap = new SourceMap(JSON.parse(await readFile(`${outfile}.map`, 'utf8')));
  const bundleUrl = pathToFileURL(outfile).href;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const totals = new Map<string, number>();
  profile.samples.forEach((nodeId, index) => {
    const frame = nodes.get(nodeId);
    let name = '(node internals)';
    if (frame?.url === bundleUrl) {
      const entry = sourceMap.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string };
      // Unmapped bundle code is esbuild's module wrappers; V8 charges them the lazy compile of each module.
      name = entry.originalSource
        ? packageOf(entry.originalSource)
        : '(esbuild module wrappers, lazy compile)';
    } else if (frame?.functionName === 'compileSourceTextModule') {
      name = '(parse and compile bundle)';
    } else if (frame?.url === '' && (frame.functionName === 'Module' || frame.functionName === 'Instance')) {
      name = '(compile parquet-wasm)';
    } else if (frame?.url.includes('source_map')) {
      name = '(source maps)';
    } else if (frame?.functionName.startsWith('(')) {
      name = frame.functionName;
    }
    totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
  });
  return [...totals.entries()]
    .sort((left, right) => right[1] - left[1])
    .slice(0, count)
    .map(([name, ms]) => ({ name, ms: round(ms, 0) }));
}

const COMPILE_PROBE = [
  "const bytes = require('node:fs').readFileSync(process.argv[1]);",
  'const started = performance.now();',
  'new WebAssembly.Module(bytes);',
  'console.log(performance.now() - started);',
].join(' ');

function compileTimes(wasmPath: string, runs: number): number[] {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const child = spawnSync(process.execPath, ['--eval', COMPILE_PROBE, wasmPath], { encoding: 'utf8' });
    if (child.status !== 0)
      throw new BenchChildError(`compiling ${wasmPath} failed: ${child.stderr.trim().split('\n')[0]}`);
    times.push(Number(child.stdout.trim()));
  }
  return times;
}

export async function measureLambdaPackage(entry: string, initRuns: number): Promise<LambdaPackageResult> {
  const options = exportBundlingOptions();
  const outDir = await mkdtemp(join(tmpdir(), 'ete-bench-lambda-'));
  try {
    const outfile = join(outDir, 'index.mjs');
    const buildStarted = performance.now();
    const built = await build({
      entryPoints: [join(PROJECT_ROOT, entry)],
      bundle: true,
      platform: 'node',
      format: options.format === 'esm' ? 'esm' : 'cjs',
      target: options.target ?? 'node22',
      outfile,
      minify: options.minify ?? false,
      sourcemap: options.sourceMap ?? false,
      sourcesContent: options.sourcesContent ?? true,
      banner: options.banner ? { js: options.banner } : undefined,
      external: options.externalModules ?? [],
      mainFields: options.mainFields,
      keepNames: options.keepNames,
      define: options.define,
      logLevel: 'error',
      metafile: true,
    });
    const output = Object.values(built.metafile?.outputs ?? {}).find((candidate) => candidate.entryPoint);
    const buildSeconds = (performance.now() - buildStarted) / 1000;
    await copyFile(join(PROJECT_ROOT, PARQUET_WASM_FILE), join(outDir, 'parquet_wasm_bg.wasm'));

    const deployed = importTimes(entry, outfile, LAMBDA_ENVIRONMENT, initRuns);
    const { NODE_OPTIONS: _sourceMaps, ...withoutSourceMaps } = LAMBDA_ENVIRONMENT;
    const noSourceMaps = importTimes(entry, outfile, withoutSourceMaps, Math.max(1, Math.ceil(initRuns / 2)));
    const wasmCompileMs = compileTimes(
      join(outDir, 'parquet_wasm_bg.wasm'),
      Math.max(1, Math.ceil(initRuns / 2)),
    );
    const bundleBytes = (await stat(outfile)).size;
    const wasmBytes = (await stat(join(outDir, 'parquet_wasm_bg.wasm'))).size;
    const sourceMapBytes = await stat(`${outfile}.map`).then(
      (stats) => stats.size,
      () => 0,
    );
    return {
      entry,
      bundleBytes,
      bundleMB: toMegabytes(bundleBytes, 2),
      sourceMapBytes,
      wasmBytes,
      wasmMB: toMegabytes(wasmBytes, 2),
      buildSeconds: round(buildSeconds, 1),
      initMs: summarize(deployed.initMs),
      initCpuMs: summarize(deployed.initCpuMs),
      processMs: summarize(deployed.processMs),
      initMsWithoutSourceMaps: summarize(noSourceMaps.initMs),
      wasmCompileMs: summarize(wasmCompileMs),
      initProfileMs: await profileImport(outfile, 8),
      exports: deployed.exports,
      largestPackages: largestPackages(output?.inputs ?? {}, 8),
      untranslatedOptions: Object.keys(options).filter((key) => !TRANSLATED_OPTIONS.has(key)),
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
