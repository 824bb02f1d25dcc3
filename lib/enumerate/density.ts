import { SEARCH_RESULT_CAP, TRACKS, type Track } from '../datadog/types';
import type { LeafWindow } from './enumerate';
import type { SearchFilter } from './query';
import { describeScope, type SearchScope } from './scope';
import { packServices } from './split';

/** Groups are packed below the cap so that a bucket with a little more activity than the last still fits. */
export const PLANNED_GROUP_LIMIT = Math.floor(SEARCH_RESULT_CAP * 0.75);

interface Observation {
  readonly bucketStart: number;
  /** Issues per service, for services searched without a track. */
  readonly untracked: ReadonlyMap<string, number>;
  /** Issues per service and track, for services that had to be searched track by track. */
  readonly byTrack: ReadonlyMap<Track, ReadonlyMap<string, number>>;
  readonly totalIssues: number;
}

function distinctCount(sets: Map<string, Set<string>>): Map<string, number> {
  return new Map([...sets].map(([service, issues]) => [service, issues.size]));
}

/**
 * Remembers how the most recent fully enumerated bucket divided into services (and, for services too big
 * for one search, tracks), so the next bucket starts with that division instead of rediscovering it from
 * saturated searches. Activity changes slowly from one bucket to the next, so the plan usually fits, and
 * a part that does not fit is simply split further.
 */
export class ServiceDensityModel {
  private readonly latest = new Map<string, Observation>();

  record(
    scope: SearchScope,
    bucketStart: number,
    leaves: readonly LeafWindow[],
    serviceOf: (issueId: string) => string | undefined,
  ): void {
    const key = describeScope(scope);
    const previous = this.latest.get(key);
    if (previous && previous.bucketStart > bucketStart) return;
    const untracked = new Map<string, Set<string>>();
    const byTrack = new Map<Track, Map<string, Set<string>>>();
    const allIssues = new Set<string>();
    for (const leaf of leaves) {
      for (const result of leaf.results) {
        const service = serviceOf(result.id);
        allIssues.add(result.id);
        if (service === undefined || service === '') continue;
        let target = untracked;
        if (leaf.filter.track) {
          target = byTrack.get(leaf.filter.track) ?? new Map<string, Set<string>>();
          byTrack.set(leaf.filter.track, target);
        }
        const issues = target.get(service) ?? new Set<string>();
        issues.add(result.id);
        target.set(service, issues);
      }
    }
    const trackedServices = new Set([...byTrack.values()].flatMap((services) => [...services.keys()]));
    for (const service of trackedServices) untracked.delete(service);
    this.latest.set(key, {
      bucketStart,
      untracked: distinctCount(untracked),
      byTrack: new Map(
        TRACKS.map((track) => {
          const counts = distinctCount(byTrack.get(track) ?? new Map());
          for (const service of trackedServices) if (!counts.has(service)) counts.set(service, 0);
          return [track, counts] as const;
        }),
      ),
      totalIssues: allIssues.size,
    });
  }

  /**
   * The searches to start a bucket with: one unfiltered search when the last bucket fit in one, else one
   * per packed service group. The smallest group doubles as the remainder (`-service:(every other known
   * service)`), which also catches services never seen before, at no extra search.
   */
  initialFilters(scope: SearchScope): SearchFilter[] {
    const observation = this.latest.get(describeScope(scope));
    if (!observation || observation.totalIssues < PLANNED_GROUP_LIMIT) return [{}];
    const trackedFilters: SearchFilter[] = [];
    for (const [track, counts] of observation.byTrack) {
      if (counts.size === 0) continue;
      for (const services of packServices(counts, PLANNED_GROUP_LIMIT)) {
        trackedFilters.push({ includeServices: services, track });
      }
    }
    const knownServices = [
      ...observation.untracked.keys(),
      ...new Set([...observation.byTrack.values()].flatMap((counts) => [...counts.keys()])),
    ];
    if (knownServices.length === 0) return [{}];
    const groups = packServices(observation.untracked, PLANNED_GROUP_LIMIT);
    const remainderGroup = new Set(groups.pop() ?? []);
    return [
      ...groups.map((services) => ({ includeServices: services })),
      ...trackedFilters,
      { excludeServices: knownServices.filter((service) => !remainderGroup.has(service)).sort() },
    ];
  }
}
