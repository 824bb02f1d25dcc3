/**
 * Randomized exactness sweep: exports many generated orgs (every distribution, many seeds, sizes, service
 * counts and lengths, odd names, unknown enums, issues in a track newer than trace, logs and rum, missing
 * `included` objects, injected 5xx and truncated
 * bodies; an API without the error-type facet on every other org, one that refuses it, ignores its terms,
 * matches nothing with them or nothing with them negated either, in turn; one without the `states`
 * field on every fifth; one refusing queries over 1,500 characters on every seventh; one that does not
 * read `@issue.id` (refusing it, ignoring it, or matching nothing with it) on every third; one implementing no
 * more than the reference shows on every eleventh: service terms alone, ranked by count alone, the track
 * attribute refused or ignored, some of them refusing with a 500 rather than a 400; one ranking by count alone on every thirteenth) and checks
 * every issue-hour against ground truth. Buckets declared incomplete are allowed to be wrong; nothing else
 * is. Also reports searches ÷ ceil(issue-hours / 100) per distribution, for tuning.
 *
 *   npm run sweep [-- --seeds 25]
 * Exits 1 when any org is not exact.
 */
import { DISTRIBUTIONS } from '../lib/simulator/model';
import { HOUR, startHarness } from '../test/support/harness';

const seedsArgument = process.argv.indexOf('--seeds');
const seeds = seedsArgument > 0 ? Number(process.argv[seedsArgument + 1]) : 25;
if (!Number.isInteger(seeds) || seeds < 1) {
  console.error('--seeds takes a whole number of seeds per distribution, for example --seeds 25');
  process.exit(2);
}

const to = Date.UTC(2025, 0, 15);
const started = Date.now();
const failures: string[] = [];
const ratios = new Map<string, number[]>();
for (const distribution of DISTRIBUTIONS) {
  for (let seed = 1; seed <= seeds; seed++) {
    const issues = [150, 400, 900, 1500][seed % 4]!;
    const services = [1, 2, 4, 9, 20][seed % 5]!;
    const hours = [2, 5, 8][seed % 3]!;
    const org = {
      distribution,
      issues,
      services,
      seed,
      from: to - hours * HOUR,
      to,
      oddServiceNames: seed % 5 === 0,
      unknownEnumRate: seed % 6 === 0 ? 0.05 : 0,
      newTrackRate: seed % 9 === 4 ? 0.03 : 0,
      missingIncludedRate: seed % 4 === 0 ? 0.1 : 0,
    };
    const label = `${distribution} seed ${seed}: ${issues} issues, ${services} services, ${hours} h`;
    const ignoredErrorTypes = (['strict', undefined, 'dropped', 'unmatched'] as const)[(seed % 8) / 2];
    const withoutErrorTypes =
      seed % 2 === 1
        ? {}
        : ignoredErrorTypes
          ? { ignoredQueryFields: { 'error.type': ignoredErrorTypes } }
          : { refusedQueryFields: ['error.type' as const] };
    const statesAttribute = seed % 10 === 3 ? 'refused' : seed % 10 === 7 ? 'ignored' : 'applied';
    // Every third org's API does not read `@issue.id` the reference's way: it refuses the term, reads the
    // query without it, or lets it match nothing, negated or not, in turn.
    const issueIds =
      seed % 3 === 2 ? (['refused', 'dropped', 'unmatched', 'strict'] as const)[seed % 4] : undefined;
    const withoutIssueIds =
      issueIds === undefined
        ? {}
        : issueIds === 'refused'
          ? { refusedQueryFields: [...(withoutErrorTypes.refusedQueryFields ?? []), 'issue.id' as const] }
          : { ignoredQueryFields: { ...withoutErrorTypes.ignoredQueryFields, 'issue.id': issueIds } };
    const minimalApi = seed % 11 === 6;
    const harness = await startHarness(org, {
      ...withoutErrorTypes,
      ...withoutIssueIds,
      statesAttribute,
      ...(minimalApi
        ? {
            queryForms: 'services-only' as const,
            rankings: 'count-only' as const,
            trackAttribute: seed % 2 === 0 ? ('refused' as const) : ('ignored' as const),
            // An API failing on what it cannot parse answers 500, not 400, for every third of them.
            refusalStatus: seed % 3 === 0 ? (500 as const) : (400 as const),
          }
        : seed % 13 === 2
          ? { rankings: 'count-only' as const }
          : {}),
      ...(seed % 7 === 5 ? { maxQueryLength: 1_500 } : {}),
      faults: { serverErrorRate: 0.03, truncatedJsonRate: 0.02, badGatewayRate: 0.02 },
    });
    try {
      const manifest = await harness.export({}, { concurrency: 1 + (seed % 4) });
      const comparison = await harness.verify();
      const incomplete = new Set(
        manifest.incomplete_windows.map((window) => Date.parse(window.bucket_start)),
      );
      const wrong = [...comparison.missing, ...comparison.wrongTotals].filter(
        (entry) => !incomplete.has(entry.bucketStart),
      );
      if (wrong.length > 0 || comparison.unexpected.length > 0 || comparison.duplicateRows > 0) {
        failures.push(
          `${label}: ${wrong.length} wrong, ${comparison.unexpected.length} invented, ${comparison.duplicateRows} duplicate rows`,
        );
      }
      const ratio = manifest.searches / Math.max(1, Math.ceil(comparison.expected / 100));
      const key = minimalApi
        ? `${distribution}, minimal API`
        : issueIds
          ? `${distribution}, without issue ids`
          : seed % 2 === 0
            ? `${distribution}, without error types`
            : distribution;
      ratios.set(key, [...(ratios.get(key) ?? []), ratio]);
    } catch (error) {
      failures.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await harness.close();
    }
  }
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
for (const [kind, values] of [...ratios].sort(([a], [b]) => (a < b ? -1 : 1))) {
  console.log(
    `${kind}: searches ÷ lower bound, mean ${mean(values).toFixed(2)}×, worst ${Math.max(...values).toFixed(2)}×`,
  );
}
console.log(
  `${DISTRIBUTIONS.length * seeds} orgs in ${Math.round((Date.now() - started) / 1000)} s: ${failures.length} not exact`,
);
for (const failure of failures) console.log(`  ${failure}`);
process.exit(failures.length > 0 ? 1 : 0);
