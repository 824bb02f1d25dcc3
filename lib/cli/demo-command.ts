import { resolve } from 'node:path';
import { parseFlags } from '../config';
import { DEFAULT_API_KEY, DEFAULT_APP_KEY, generateOrg, startSimulator } from '../simulator';
import { compareWithGroundTruth } from '../simulator/verify';
import { openWarehouse, runQuery } from '../warehouse/duckdb';
import { type ExportCommandIo, exitCodeFor, exportWithSettings } from './export-command';
import { formatTable } from './table';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const DEMO_QUERIES = [
  {
    title: 'Top services by errors',
    sql: `SELECT coalesce(service, '(none)') AS service, sum(total_count) AS errors, count(DISTINCT issue_id) AS issues
FROM issues GROUP BY ALL ORDER BY errors DESC LIMIT 8`,
  },
  {
    title: 'Open issues by owning team',
    sql: `SELECT coalesce(team, '(no team)') AS team, count(DISTINCT issue_id) AS open_issues, sum(total_count) AS errors
FROM (SELECT issue_id, total_count, unnest(coalesce(team_names, [NULL])) AS team FROM issues WHERE state = 'OPEN')
GROUP BY ALL ORDER BY open_issues DESC LIMIT 8`,
  },
  {
    title: 'Errors per hour, with how many issues were active',
    sql: `SELECT strftime(window_start, '%H:%M') AS hour_utc, sum(total_count) AS errors, count(*) AS active_issues
FROM issues GROUP BY ALL ORDER BY hour_utc LIMIT 24`,
  },
] as const;

/**
 * `npm start`: serves a simulated org on a free loopback port, exports yesterday (UTC) into ./warehouse,
 * checks the result against the simulator's ground truth, and shows a few SQL answers through DuckDB.
 */
export async function demoCommand(argv: readonly string[], io: ExportCommandIo): Promise<number> {
  const { values } = parseFlags('demo', argv, { out: { type: 'string' } });
  const out = resolve(values.out ?? 'warehouse');
  const to = Math.floor(io.now() / DAY) * DAY;
  const from = to - DAY;
  const org = generateOrg({
    seed: 42,
    issues: 3000,
    services: 14,
    from,
    to,
    distribution: 'uniform',
    missingIncludedRate: 0.02,
    unknownEnumRate: 0.02,
  });
  const simulator = await startSimulator({ org });
  const say = (text = '') => io.stdout.write(`${text}\n`);
  try {
    say(
      `Simulated Datadog at ${simulator.url}: ${org.issues.length} issues in ${new Set(org.services).size} services.`,
    );
    say(`Exporting ${new Date(from).toISOString()} to ${new Date(to).toISOString()} into ${out} ...`);
    const manifest = await exportWithSettings(
      {
        from,
        to,
        bucketMs: HOUR,
        scopes: [{ query: '*', persona: 'ALL' }],
        concurrency: 4,
        out,
        stateSplits: true,
        trackSplits: true,
        issuePages: true,
      },
      { baseUrl: simulator.url, site: 'datadoghq.com', apiKey: DEFAULT_API_KEY, appKey: DEFAULT_APP_KEY },
      io,
    );
    const warehouse = await openWarehouse(out);
    try {
      const truth = simulator.groundTruth({ from, to, bucketMs: HOUR });
      const check = await compareWithGroundTruth(warehouse, truth, { from, to });
      const exact =
        check.matched === check.expected && check.unexpected.length === 0 && check.duplicateRows === 0;
      say(
        `Done in ${(manifest.durations_ms.total / 1000).toFixed(1)} s: ${manifest.rows} issue-hour rows in ${manifest.files.length} Parquet files, ` +
          `${manifest.searches} searches (lower bound ${Math.ceil(truth.length / 100)}), ${manifest.incomplete_windows.length} incomplete windows.`,
      );
      say(
        exact
          ? `Verified: all ${check.expected} issue-hour totals equal the simulator's ground truth, with no duplicate rows.`
          : `MISMATCH against ground truth: ${check.missing.length} missing, ${check.wrongTotals.length} wrong, ${check.unexpected.length} unexpected, ${check.duplicateRows} duplicated.`,
      );
      say(`Run manifest: ${out}/_runs/${manifest.run_id}.json`);
      for (const query of DEMO_QUERIES) {
        const result = await runQuery(warehouse.connection, query.sql);
        say();
        say(`${query.title}:`);
        say(formatTable(result.columns, result.rows));
      }
      say();
      say(
        `Ask your own questions: npx error-tracking-export query "SELECT state, count(DISTINCT issue_id) FROM issues GROUP BY ALL" --out ${values.out ?? 'warehouse'}`,
      );
      return exact ? exitCodeFor(manifest) : 1;
    } finally {
      warehouse.close();
    }
  } finally {
    await simulator.close();
  }
}
