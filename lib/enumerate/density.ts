import { SEARCH_RESULT_CAP, TRACKS, type Track } from '../datadog/types';
import type { Bucket } from './buckets';
import type { LeafWindow } from './enumerate';
import type { SearchFilter } from './query';
import { describeScope, type SearchScope } from './scope';
import { packServices, type SearchWindow } from './split';

/** Groups are packed below the cap so that a bucket with a little more activity than the last still fits. */
export const PLANNED_GROUP_LIMIT = Math.floor(SEARCH_RESULT_CAP * 0.75);
/** A service (or service and track) with this many issues would likely saturate a whole-bucket search. */
const REPLAY_THRESHOLD = Math.floor(SEARCH_RESULT_CAP * 0.95);

interface ReplayWindow {
  /** Offsets from the bucket start, so the window can be moved to any later bucket. */
  readonly fromOffset: number;
  readonly toOffset: number;
  readonly track?: Track;
}

interface Observation {
  readonly bucketStart: number;
  /** Issues per service, for services whose issues fit in a whole-bucket search without a track. */
  readonly untracked: ReadonlyMap<string, number>;
  /** Issues per service and track, for services that had to be searched track by track. */
  readonly byTrack: ReadonlyMap<Track, ReadonlyMap<string, number>>;
  /** Services so dense they were split by time too: the windows that finally fit, to search again. */
  readonly replay: ReadonlyMap<string, readonly ReplayWindow[]>;
  readonly totalIssues: number;
}

function distinctCount(sets: Map<string, Set<string>>): Map<string, number> {
  return new Map([...sets].map(([service, issues]) => [service, issues.size]));
}

function addIssue(target: Map<string, Set<string>>, service: string, issueId: string): void {
  const issues = target.get(service) ?? new Set<string>();
  issues.add(issueId);
  target.set(service, issues);
}

/**
 * Remembers how the most recent fully enumerated bucket divided, so the next bucket starts with that
 * division instead of rediscovering it from saturated searches: services packed by their issue counts,
 * services too big for one search split by track, and services too dense even for that split into the
 * same time windows again. Activity changes slowly from one bucket to the next, so the plan usually fits,
 * and a part that does not fit is simply split further.
 */
export class ServiceDensityModel {
  private readonly latest = new Map<string, Observation>();

  record(
    scope: SearchScope,
    bucket: Bucket,
    leaves: readonly LeafWindow[],
    serviceOf: (issueId: string) => string | undefined,
  ): void {
    const key = describeScope(scope);
    const previous = this.latest.get(key);
    if (previous && previous.bucketStart > bucket.start) return;
    const untracked = new Map<string, Set<string>>();
    const byTrack = new Map<Track, Map<string, Set<string>>>(TRACKS.map((track) => [track, new Map()]));
    const timeWindows = new Map<string, ReplayWindow[]>();
    const allIssues = new Set<string>();
    for (const leaf of leaves) {
      const own = leaf.filter.includeServices?.length === 1 ? leaf.filter.includeServices[0] : undefined;
      if (own !== undefined && (leaf.from !== bucket.start || leaf.to !== bucket.end)) {
        const unit = `${own}\u0000${leaf.filter.track ?? ''}`;
        timeWindows.set(unit, [
          ...(timeWindows.get(unit) ?? []),
          {
            fromOffset: leaf.from - bucket.start,
            toOffset: leaf.to - bucket.start,
            ...(leaf.filter.track ? { track: leaf.filter.track } : {}),
          },
        ]);
      }
      for (const result of leaf.results) {
        allIssues.add(result.id);
        const service = serviceOf(result.id);
        if (service === undefined || service === '') continue;
        addIssue(leaf.filter.track ? byTrack.get(leaf.filter.track)! : untracked, service, result.id);
      }
    }
    const trackedServices = new Set([...byTrack.values()].flatMap((services) => [...services.keys()]));
    for (const service of trackedServices) untracked.delete(service);
    const replay = new Map<string, ReplayWindow[]>();
    // A unit that would saturate a whole-bucket search again is searched through the windows that fit last time.
    const keepOrReplay = (counts: Map<string, number>, track: Track | undefined) => {
      for (const [service, count] of counts) {
        const windows = timeWindows.get(`${service}\u0000${track ?? ''}`);
        if (count < REPLAY_THRESHOLD || !windows) continue;
        replay.set(service, [...(replay.get(service) ?? []), ...windows]);
        counts.delete(service);
      }
      return counts;
    };
    this.latest.set(key, {
      bucketStart: bucket.start,
      untracked: keepOrReplay(distinctCount(untracked), undefined),
      byTrack: new Map(
        TRACKS.map((track) => {
          const counts = distinctCount(byTrack.get(track)!);
          for (const service of trackedServices) if (!counts.has(service)) counts.set(service, 0);
          return [track, keepOrReplay(counts, track)] as const;
        }),
      ),
      replay,
      totalIssues: allIssues.size,
    });
  }

  /**
   * The windows to start a bucket with: one unfiltered search when the last bucket fit in one, else one
   * per packed service group, per track group and per replayed window. The smallest untracked group
   * doubles as the remainder (`-service:(every other known service)`), which also catches services never
   * seen before, at no extra search.
   */
  initialWindows(scope: SearchScope, bucket: Bucket): SearchWindow[] {
    const whole = (filter: SearchFilter): SearchWindow => ({ from: bucket.start, to: bucket.end, filter });
    const observation = this.latest.get(describeScope(scope));
    if (!observation || observation.totalIssues < PLANNED_GROUP_LIMIT) return [whole({})];
    const windows: SearchWindow[] = [];
    for (const [service, replayed] of observation.replay) {
      for (const window of replayed) {
        windows.push({
          from: bucket.start + window.fromOffset,
          to: bucket.start + window.toOffset,
          filter: { includeServices: [service], ...(window.track ? { track: window.track } : {}) },
        });
      }
    }
    for (const [track, counts] of observation.byTrack) {
      if (counts.size === 0) continue;
      for (const services of packServices(counts, PLANNED_GROUP_LIMIT))
        windows.push(whole({ includeServices: services, track }));
    }
    const knownServices = [
      ...new Set([
        ...observation.untracked.keys(),
        ...observation.replay.keys(),
        ...[...observation.byTrack.values()].flatMap((counts) => [...counts.keys()]),
      ]),
    ];
    if (knownServices.length === 0) return [whole({})];
    const groups = packServices(observation.untracked, PLANNED_GROUP_LIMIT);
    const remainderGroup = new Set(groups.pop() ?? []);
    windows.push(...groups.map((services) => whole({ includeServices: services })));
    windows.push(
      whole({ excludeServices: knownServices.filter((service) => !remainderGroup.has(service)).sort() }),
    );
    return windows;
  }
}
