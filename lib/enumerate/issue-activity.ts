import type { Bucket } from './buckets';
import type { ErrorTypeObservation, ServiceErrorTypes } from './error-type-plan';

/** What a search result says about an issue, as far as predicting its next buckets goes. */
export interface IssueFacts {
  readonly service: string | undefined;
  readonly errorType: string | undefined;
  /** The issue's state when searched; plans without error types divide busy services by it. */
  readonly state: string | undefined;
  /** Epoch ms of the issue's first and last error ever, when the API gives them. */
  readonly firstSeen: number | undefined;
  readonly lastSeen: number | undefined;
}

interface KnownIssue extends IssueFacts {
  /** Start of the latest recorded bucket the issue erred in. */
  readonly lastActiveBucket: number;
}

/** How often issues that could have erred in a bucket did, by whether they erred in the bucket before. */
interface Persistence {
  erred: number;
  couldHave: number;
}

/**
 * Before a run has measured it, the share of issues erring in one bucket that err in the next, and of
 * those quiet in one bucket that err in the next. Each counts as this many issues already measured.
 */
const PERSISTENCE_PRIOR = { active: 0.9, quiet: 0.5, weight: 20 } as const;

/** Issues by service (`''` for none) and kind, the error type by default (`undefined` for none). */
type IssueCounts = Map<string, Map<string | undefined, number>>;

function addTo(
  counts: IssueCounts,
  service: string | undefined,
  kind: string | undefined,
  issues: number,
): void {
  const byKind = counts.get(service ?? '') ?? new Map<string | undefined, number>();
  counts.set(service ?? '', byKind);
  const key = kind || undefined;
  byKind.set(key, (byKind.get(key) ?? 0) + issues);
}

/**
 * Remembers every issue a run has found, to predict how many issues each service and error type will
 * have in the next bucket, issue by issue: an issue whose last error came before the bucket has none in
 * it, one whose first or last error falls inside it certainly errs there, and any other errs as often as
 * the run has measured for issues that did, or did not, err in the bucket before. Issues never seen yet
 * arrive at the rate the last two buckets showed. On the simulator's sparse orgs this tracks a bucket's
 * size far better than the count of the bucket before, whose issues partly stop and are partly replaced.
 */
export class IssueActivity {
  private readonly issues = new Map<string, KnownIssue>();
  private latest: Bucket | undefined;
  /** Issues new to the run in the latest two buckets, latest first. */
  private readonly arrivals: IssueCounts[] = [];
  private readonly wasActive: Persistence = { erred: 0, couldHave: 0 };
  private readonly wasQuiet: Persistence = { erred: 0, couldHave: 0 };

  constructor(
    /**
     * What each service's issues are predicted by, in the place of error types (a plan without error
     * types predicts them by state group, say).
     */
    private readonly kindOf: (facts: IssueFacts) => string | undefined = (facts) => facts.errorType,
  ) {}

  /** Records a fully enumerated bucket; buckets older than the latest recorded are ignored. */
  record(bucket: Bucket, issueIds: Iterable<string>, factsOf: (issueId: string) => IssueFacts): void {
    if (this.latest && bucket.start <= this.latest.start) return;
    const active = new Set(issueIds);
    const before = this.latest;

    if (before) {
      for (const [issueId, issue] of this.issues) {
        if (!couldErrWithout(issue, bucket)) continue;
        const persistence = issue.lastActiveBucket === before.start ? this.wasActive : this.wasQuiet;
        persistence.couldHave += 1;
        if (active.has(issueId)) persistence.erred += 1;
      }
    }
    const arrived: IssueCounts = new Map();
    for (const issueId of active) {
      const facts = factsOf(issueId);
      if (!this.issues.has(issueId)) addTo(arrived, facts.service, this.kindOf(facts), 1);
      this.issues.set(issueId, { ...consistentWith(facts, bucket), lastActiveBucket: bucket.start });
    }
    // The very first bucket's issues are all new to the run, so they say nothing about arrivals.
    if (before) this.arrivals.unshift(arrived);
    this.arrivals.length = Math.min(this.arrivals.length, 2);
    // The run read every `last_seen` after its whole range, so an issue last seen before this bucket
    // ended errs in none of the run's later buckets.
    for (const [issueId, issue] of this.issues)
      if (issue.lastSeen !== undefined && issue.lastSeen < bucket.end) this.issues.delete(issueId);
    this.latest = bucket;
  }

  /**
   * The issues expected in `bucket` by service and error type, with `base`'s share of new error types;
   * `undefined` until two buckets have been recorded, since arrivals are measured from the second.
   */
  predict(bucket: Bucket, base: ErrorTypeObservation): ErrorTypeObservation | undefined {
    if (!this.latest || this.arrivals.length === 0 || bucket.start < this.latest.end) return undefined;
    const rate = (persistence: Persistence, prior: number) =>
      (persistence.erred + prior * PERSISTENCE_PRIOR.weight) /
      (persistence.couldHave + PERSISTENCE_PRIOR.weight);
    const afterActive = rate(this.wasActive, PERSISTENCE_PRIOR.active);
    const afterQuiet = rate(this.wasQuiet, PERSISTENCE_PRIOR.quiet);
    const expected: IssueCounts = new Map();
    const latest = this.latest.start;
    for (const issue of this.issues.values()) {
      const chance = certainlyErrsIn(issue, bucket)
        ? 1
        : couldErrWithout(issue, bucket)
          ? issue.lastActiveBucket === latest
            ? afterActive
            : afterQuiet
          : 0;
      if (chance > 0) addTo(expected, issue.service, this.kindOf(issue), chance);
    }
    for (const arrived of this.arrivals)
      for (const [service, byType] of arrived)
        for (const [kind, issues] of byType) addTo(expected, service, kind, issues / this.arrivals.length);

    const services = new Map<string, ServiceErrorTypes>();
    let withoutService = 0;
    for (const [service, byType] of expected) {
      const total = [...byType.values()].reduce((sum, issues) => sum + issues, 0);
      if (service === '') {
        withoutService += total;
        continue;
      }
      const typed = new Map([...byType].filter((entry): entry is [string, number] => entry[0] !== undefined));
      const newTypes = base.services.get(service)?.newTypes;
      services.set(service, {
        total,
        byType: typed,
        untyped: byType.get(undefined) ?? 0,
        ...(newTypes === undefined ? {} : { newTypes }),
      });
    }
    const totalIssues =
      withoutService + [...services.values()].reduce((sum, counts) => sum + counts.total, 0);
    return { services, withoutService, totalIssues };
  }
}

/** An error inside the bucket is certain when the issue's first or last error falls in it. */
function certainlyErrsIn(issue: IssueFacts, bucket: Bucket): boolean {
  const inside = (time: number | undefined) =>
    time !== undefined && time >= bucket.start && time < bucket.end;
  return inside(issue.firstSeen) || inside(issue.lastSeen);
}

/**
 * Whether the issue might err in the bucket without it being certain: it erred before and after, which
 * also means neither its first nor its last error falls inside the bucket.
 */
function couldErrWithout(issue: IssueFacts, bucket: Bucket): boolean {
  const startedBefore = issue.firstSeen === undefined || issue.firstSeen < bucket.start;
  const endedAfter = issue.lastSeen === undefined || issue.lastSeen >= bucket.end;
  return startedBefore && endedAfter;
}

/**
 * An issue that erred in the bucket was first seen before the bucket ended and last seen after it began;
 * lifetimes that say otherwise (in seconds rather than milliseconds, say) are dropped, not trusted.
 */
function consistentWith(facts: IssueFacts, bucket: Bucket): IssueFacts {
  const firstSeen =
    facts.firstSeen !== undefined && facts.firstSeen < bucket.end ? facts.firstSeen : undefined;
  const lastSeen =
    facts.lastSeen !== undefined && facts.lastSeen >= bucket.start ? facts.lastSeen : undefined;
  return { ...facts, firstSeen, lastSeen };
}
