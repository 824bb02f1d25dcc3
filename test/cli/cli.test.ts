import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_API_KEY,
  DEFAULT_APP_KEY,
  generateOrg,
  type RunningSimulator,
  startSimulator,
} from '../../lib/simulator';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/error-tracking-export.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], environment: Record<string, string> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...environment },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let simulator: RunningSimulator;
let collisions: RunningSimulator;
/** Same-millisecond collisions that only a search by state divides. */
let stateDivided: RunningSimulator;
let workDir: string;
let environment: Record<string, string>;

beforeAll(async () => {
  simulator = await startSimulator({
    org: generateOrg({ distribution: 'uniform', issues: 200, services: 4, seed: 31 }),
  });
  // APIs without pages by issue id, which would find the 150 issues of one millisecond.
  collisions = await startSimulator({
    org: generateOrg({ distribution: 'collisions', issues: 400, services: 1, seed: 3, unknownEnumRate: 0.1 }),
    refusedQueryFields: ['issue.id'],
  });
  stateDivided = await startSimulator({
    org: generateOrg({ distribution: 'collisions', issues: 400, services: 1, seed: 3 }),
    refusedQueryFields: ['issue.id'],
  });
  workDir = await mkdtemp(join(tmpdir(), 'ete-cli-'));
  environment = { DD_API_URL: simulator.url, DD_API_KEY: DEFAULT_API_KEY, DD_APP_KEY: DEFAULT_APP_KEY };
});
afterAll(async () => {
  await simulator.close();
  await collisions.close();
  await stateDivided.close();
  await rm(workDir, { recursive: true, force: true });
});

const range = () => ['--from', String(simulator.org.from), '--to', new Date(simulator.org.to).toISOString()];

describe('the error-tracking-export command', () => {
  it('exports, prints a JSON summary, and answers SQL over the warehouse', async () => {
    const out = join(workDir, 'warehouse');
    const exported = await cli(
      [
        'export',
        ...range(),
        '--out',
        out,
        '--state',
        join(workDir, 'state'),
        '--events',
        join(workDir, 'events.ndjson'),
      ],
      environment,
    );
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    const summary = JSON.parse(exported.stdout);
    expect(summary).toMatchObject({
      status: 'complete',
      incomplete_windows: 0,
      buckets: { total: 6, complete: 6 },
    });
    expect(summary.rows).toBeGreaterThan(0);
    expect(summary.state).toMatchObject({ baseline: true, events_published: 0 });
    const manifest = JSON.parse(await readFile(summary.manifest, 'utf8'));
    expect(manifest.rows).toBe(summary.rows);

    const answered = await cli([
      'query',
      'SELECT sum(total_count) AS errors FROM issues',
      '--out',
      out,
      '--format',
      'json',
    ]);
    expect(answered.code).toBe(0);
    const [row] = JSON.parse(answered.stdout);
    const truth = simulator.groundTruth({
      from: simulator.org.from,
      to: simulator.org.to,
      bucketMs: 3_600_000,
    });
    expect(row.errors).toBe(truth.reduce((sum, entry) => sum + entry.totalCount, 0));
  });

  it('exits 3 when a window had to be declared incomplete', async () => {
    const out = join(workDir, 'incomplete');
    const result = await cli(
      ['export', '--from', String(collisions.org.from), '--to', String(collisions.org.to), '--out', out],
      { ...environment, DD_API_URL: collisions.url },
    );
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'incomplete', incomplete_windows: 1 });
  });

  it('searches nothing by state with --no-state-splits, declaring what only states divide incomplete', async () => {
    const { org, url } = stateDivided;
    const args = ['export', '--from', String(org.from), '--to', String(org.to)];
    const withStates = await cli([...args, '--out', join(workDir, 'with-states')], {
      ...environment,
      DD_API_URL: url,
    });
    expect(withStates.code).toBe(0);
    expect(JSON.parse(withStates.stdout).searches_by_state).toBeGreaterThan(0);
    const result = await cli([...args, '--out', join(workDir, 'no-states'), '--no-state-splits'], {
      ...environment,
      DD_API_URL: url,
    });
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'incomplete', searches_by_state: 0 });
  });

  it.each([
    [['export', '--from', 'soon', '--to', 'now', '--out', 'x'], '--from "soon" is not a time'],
    [['export', '--form', '1'], "Unknown option '--form'"],
    [['export', '--from', '1', '--to', '2', '--out', 'x', '--persona', 'ROBOT'], '--persona must be one of'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['simulate', '--error-type-facet', 'sometimes'], '--error-type-facet must be one of refused, dropped'],
    [['simulate', '--states-field', 'maybe'], '--states-field must be one of applied, refused, ignored'],
    [['simulate', '--rankings', 'some'], '--rankings must be one of all, count-only, got "some"'],
    [['simulate', '--query-forms', 'lucene'], '--query-forms must be one of event-search, services-only'],
    [['simulate', '--faults', '2'], '--faults must be a fraction from 0 to 1, got "2"'],
    [['simulate', '--new-track', '1.5'], '--new-track must be a fraction from 0 to 1, got "1.5"'],
    [['simulate', '--latency', 'slow'], '--latency must be a whole number ≥ 0, got "slow"'],
  ])('rejects %j with exit code 2 and one line on stderr', async (args, message) => {
    const result = await cli(args, environment);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('serves a simulated org with faults and latency that an export still gets exactly', async () => {
    const served = spawn(
      process.execPath,
      [
        BIN,
        ...['simulate', '--port', '0', '--issues', '400', '--services', '3', '--hours', '3'],
        ...['--faults', '0.3', '--latency', '5'],
      ],
      { env: { PATH: process.env.PATH ?? '' } },
    );
    try {
      const url = await new Promise<string>((resolveUrl, reject) => {
        let printed = '';
        served.stderr.on('data', (chunk: Buffer) => {
          printed += chunk.toString();
          const match = / at (http:\/\/127\.0\.0\.1:\d+)/.exec(printed);
          if (match) resolveUrl(match[1]!);
        });
        served.once('exit', (code) => reject(new Error(`simulate exited with ${code}: ${printed}`)));
      });
      const org = (await (await fetch(`${url}/_simulator/org`)).json()) as { from: number; to: number };
      const exported = await cli(
        ['export', '--from', String(org.from), '--to', String(org.to), '--out', join(workDir, 'faulty')],
        { DD_API_URL: url, DD_API_KEY: DEFAULT_API_KEY, DD_APP_KEY: DEFAULT_APP_KEY },
      );
      expect(exported.code).toBe(0);
      const truth = (await (
        await fetch(`${url}/_simulator/ground-truth?from=${org.from}&to=${org.to}&bucket_ms=3600000`)
      ).json()) as { entries: unknown[] };
      expect(JSON.parse(exported.stdout).rows).toBe(truth.entries.length);
      const stats = (await (await fetch(`${url}/_simulator/stats`)).json()) as {
        faults: Record<string, number>;
      };
      expect(Object.values(stats.faults).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0);
    } finally {
      served.kill('SIGTERM');
    }
  });

  it('explains a rejected key without printing it', async () => {
    const result = await cli(['export', ...range(), '--out', join(workDir, 'denied')], {
      ...environment,
      DD_API_KEY: 'wrong-api-key-123456',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('DD_API_KEY');
    expect(result.stderr).toContain('error_tracking_read');
    expect(result.stderr).not.toContain('wrong-api-key-123456');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('is installed by npm ci as node_modules/.bin/error-tracking-export', async () => {
    const installed = resolve(import.meta.dirname, '../../node_modules/.bin/error-tracking-export');
    const { stdout } = await run(installed, ['--help'], { timeout: 30_000 });
    expect(stdout).toContain('error-tracking-export export');
  });

  it('prints usage for --help, after a command too', async () => {
    for (const args of [['--help'], ['export', '--help'], ['simulate', '-h'], ['query', '--help']]) {
      const result = await cli(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('error-tracking-export export --from <time> --to <time>');
      expect(result.stderr).toBe('');
    }
  });
});
