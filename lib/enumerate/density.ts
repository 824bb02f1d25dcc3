import { SEARCH_RESULT_CAP } from '../datadog/types';
import type { SearchFilter } from './query';
import { describeScope, type SearchScope } from './scope';
import { packServices } from './split';

/** Groups are packed below the cap so that a bucket with a little more activity than the last still fits. */
const PLANNED_GROUP_LIMIT = Math.floor(SEARCH_RESULT_CAP * 0.8);

interface Observation {
  readonly bucketStart: number;
  readonly issuesByService: ReadonlyMap<string, number>;
  readonly totalIssues: number;
}

/**
 * Remembers how many issues each service had in the most recent fully enumerated bucket, so the next
 * bucket starts with searches already split by service instead of rediscovering the split from a
 * saturated search. Activity changes slowly from one bucket to the next, so this is usually exact.
 */
export class ServiceDensityModel {
  private readonly latest = new Map<string, Observation>();

  record(scope: SearchScope, bucketStart: number, issuesByService: ReadonlyMap<string, number>): void {
    const key = describeScope(scope);
    const previous = this.latest.get(key);
    if (previous && previous.bucketStart > bucketStart) return;
    let totalIssues = 0;
    for (const count of issuesByService.values()) totalIssues += count;
    this.latest.set(key, { bucketStart, issuesByService, totalIssues });
  }

  /** The searches to start a bucket with: one unfiltered search, or one per service group plus a remainder. */
  initialFilters(scope: SearchScope): SearchFilter[] {
    const observation = this.latest.get(describeScope(scope));
    if (!observation || observation.totalIssues < PLANNED_GROUP_LIMIT) return [{}];
    const nameable = new Map([...observation.issuesByService].filter(([service]) => service !== ''));
    if (nameable.size === 0) return [{}];
    const groups = packServices(nameable, PLANNED_GROUP_LIMIT);
    return [
      ...groups.map((services) => ({ includeServices: services })),
      { excludeServices: [...nameable.keys()].sort() },
    ];
  }
}
