/**
 * `npm run bench`: enumeration efficiency and exactness on the simulator, Parquet encoding against DuckDB,
 * exporter memory, the Lambda package, rate-limit pacing and the state store. Writes bench/results.json and
 * prints markdown tables.
 *
 * Options: `--smoke` (or BENCH_SMOKE=1) runs everything on tiny inputs; `--only a,b` runs some sections
 * (enumeration, parquet, lambda, pacing, state; memory comes with enumeration); `--out <file>` writes the
 * JSON elsewhere.
 */
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runBenchChild } from './child';
import { exporterMemory, measureEnumeration } from './enumeration';
import { measureLambdaPackage } from './lambda-package';
import type { ParquetChildInput, ParquetChildResult } from './parquet-child';
import { measurePacing } from './rate-limit-pacing';
import { formatSeconds, renderMarkdown, type SectionResults, targetChecks } from './report';
import { type BenchSettings, FULL_SETTINGS, SMOKE_SETTINGS } from './settings';
import { measureStateStoreTimes } from './state-store';

const SECTIONS = ['enumeration', 'parquet', 'lambda', 'pacing', 'state'] as const;
type Section = (typeof SECTIONS)[number];

class BenchUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

function parseOptions(): { settings: BenchSettings; sections: Section[]; outPath: string } {
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const smoke = values.smoke || process.env.BENCH_SMOKE === '1';
  const sections = (values.only?.split(',') ?? [...SECTIONS]).map((name) => name.trim());
  for (const name of sections) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new BenchUsageError(`--only takes a comma list of ${SECTIONS.join(', ')}; got "${name}"`);
    }
  }
  return {
    settings: smoke ? SMOKE_SETTINGS : FULL_SETTINGS,
    sections: sections as Section[],
    outPath: values.out ?? fileURLToPath(new URL('./results.json', import.meta.url)),
  };
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function timed<T>(name: string, durations: Record<string, number>, job: () => Promise<T>): Promise<T> {
  const started = performance.now();
  log(`${name}…`);
  try {
    return await job();
  } finally {
    durations[name] = Math.round(performance.now() - started);
    log(`${name} done in ${formatSeconds(durations[name])}`);
  }
}

async function main(): Promise<void> {
  const { settings, sections, outPath } = parseOptions();
  const started = performance.now();
  const loadAtStart = loadavg();
  const durations: Record<string, number> = {};
  const results: SectionResults = {};
  const run = (section: Section) => sections.includes(section);

  if (run('enumeration')) {
    results.enumeration = await timed('enumeration', durations, () =>
      measureEnumeration(settings.enumeration, log),
    );
    const memoryRun = results.enumeration.find(
      (result) => result.shape === settings.memoryShape || result.reducedFrom?.shape === settings.memoryShape,
    );
    results.memory = memoryRun ? exporterMemory(memoryRun) : null;
  }
  if (run('parquet')) {
    results.parquet = await timed('parquet', durations, async () => {
      const sizes: ParquetChildResult[] = [];
      for (const size of settings.parquet) {
        log(`parquet: ${size.rows.toLocaleString('en-US')} rows`);
        const input: ParquetChildInput = size;
        // A million generated rows and their Arrow copy need more than V8's default old space.
        sizes.push(
          await runBenchChild<ParquetChildResult>('./parquet-child.ts', input, {
            nodeFlags: ['--max-old-space-size=8192'],
          }),
        );
      }
      return sizes;
    });
  }
  if (run('lambda')) {
    results.lambda = await timed('lambda', durations, () =>
      measureLambdaPackage(settings.lambda.entry, settings.lambda.initRuns),
    );
  }
  if (run('pacing')) {
    results.pacing = await timed('pacing', durations, () => measurePacing(settings.pacing));
  }
  if (run('state')) {
    results.state = await timed('state', durations, () =>
      measureStateStoreTimes(settings.state.issues, settings.state.runs),
    );
  }

  const totalMs = performance.now() - started;
  const checks = targetChecks(results);
  const machine = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    totalMemoryGB: Math.round(totalmem() / 1e9),
    // Other work on the machine slows wall times; the load average says how much there was.
    loadAverage: {
      start: loadAtStart.map((load) => Number(load.toFixed(2))),
      end: loadavg().map((load) => Number(load.toFixed(2))),
    },
  };
  const report = {
    generatedAt: new Date().toISOString(),
    mode: settings.mode,
    sections,
    machine,
    durationsMs: { ...durations, total: Math.round(totalMs) },
    targets: checks,
    targetsMissed: checks.filter((entry) => entry.met === false).length,
    results,
    settings,
  };
  await writeFile(outPath, `${JSON.stringify(report, null, 2)}\n`);
  const header = `### Benchmark (${settings.mode}, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${machine.cpus} CPUs, load ${machine.loadAverage.start[0]}→${machine.loadAverage.end[0]}, ${formatSeconds(totalMs)})`;
  process.stdout.write(`${renderMarkdown(results, checks, header)}\n`);
  log(`wrote ${outPath}`);
}

main().catch((error: unknown) => {
  if (error instanceof BenchUsageError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
