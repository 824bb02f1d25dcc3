/**
 * Builds a `SimulatedOrg` from options. Every choice comes from a `Random` forked off the seed, so the same
 * options always give the same org (ids, attributes and every occurrence).
 */
import type { Track } from '../datadog/types';
import type {
  Distribution,
  OccurrenceSeries,
  OrgOptions,
  ResolvedOrgOptions,
  SimulatedCase,
  SimulatedIssue,
  SimulatedOrg,
  SimulatedTeam,
  SimulatedUser,
} from './model';
import { DISTRIBUTIONS, NEW_TRACK } from './model';
import { mix32, Random } from './random';
import {
  BACKEND_LANGUAGES,
  BACKEND_SUFFIXES,
  CASE_PRIORITIES,
  CASE_STATUSES,
  ERROR_MESSAGES,
  FIRST_NAMES,
  JIRA_PROJECTS,
  KIND_SUFFIX,
  LANGUAGE_ERRORS,
  LAST_NAMES,
  MOBILE_PLATFORMS,
  ODD_SERVICE_NAMES,
  PLATFORM_LANGUAGES,
  SERVICE_PREFIXES,
  type ServiceKind,
  TEAM_WORDS,
} from './vocabulary';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const DEFAULT_TO = Date.UTC(2025, 0, 15);

const DEFAULT_RATE: Record<Distribution, number> = { uniform: 4, bursty: 0.5, dense: 30, collisions: 4 };

/** Thrown for options that cannot describe an org (negative counts, an empty range...). */
export class OrgOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OrgOptionsError';
  }
}

export function resolveOrgOptions(options: OrgOptions = {}): ResolvedOrgOptions {
  const distribution = options.distribution ?? 'uniform';
  if (!DISTRIBUTIONS.includes(distribution)) {
    throw new OrgOptionsError(
      `distribution must be one of ${DISTRIBUTIONS.join(', ')}, got "${distribution}"`,
    );
  }
  const to = options.to ?? (options.from !== undefined ? options.from + 6 * HOUR : DEFAULT_TO);
  const from = options.from ?? to - 6 * HOUR;
  if (!(Number.isFinite(from) && Number.isFinite(to) && from < to)) {
    throw new OrgOptionsError('from must be an epoch-ms number before to');
  }
  const issues = options.issues ?? 200;
  const services = options.serviceNames?.length ?? options.services ?? 8;
  if (!Number.isInteger(issues) || issues < 0)
    throw new OrgOptionsError('issues must be a non-negative integer');
  if (!Number.isInteger(services) || services < 1) throw new OrgOptionsError('services must be at least 1');
  for (const [name, rate] of [
    ['missingIncludedRate', options.missingIncludedRate],
    ['unknownEnumRate', options.unknownEnumRate],
    ['newTrackRate', options.newTrackRate],
  ] as const) {
    if (rate !== undefined && !(rate >= 0 && rate <= 1)) throw new OrgOptionsError(`${name} must be in 0..1`);
  }
  return {
    seed: (options.seed ?? 1) >>> 0,
    issues,
    services,
    serviceNames: options.serviceNames ? [...options.serviceNames] : undefined,
    from: Math.floor(from),
    to: Math.floor(to),
    distribution,
    eventsPerIssueHour: options.eventsPerIssueHour ?? DEFAULT_RATE[distribution],
    oddServiceNames: options.oddServiceNames ?? false,
    missingIncludedRate: options.missingIncludedRate ?? 0,
    unknownEnumRate: options.unknownEnumRate ?? 0,
    newTrackRate: options.newTrackRate ?? 0,
    bursts: options.bursts ?? 3,
    issuesPerBurst: options.issuesPerBurst ?? Math.min(issues, 300),
    users: options.users ?? 24,
    teams: options.teams ?? Math.max(3, Math.ceil(services / 2)),
    endUsersPerService: options.endUsersPerService ?? 400,
    sessionMs: options.sessionMs ?? 30 * MINUTE,
  };
}

interface ServiceProfile {
  /** `undefined` for the pseudo-service of issues that carry no service attribute. */
  name: string | undefined;
  kind: ServiceKind;
  versions: string[];
  teamIds: string[];
}

function kindFromName(name: string, random: Random): ServiceKind {
  const lower = name.toLowerCase();
  if (/(^|[-_])(web|browser|frontend)($|[-_])/.test(lower)) return 'BROWSER';
  if (lower.includes('android')) return 'ANDROID';
  if (lower.includes('ios')) return 'IOS';
  if (lower.includes('flutter')) return 'FLUTTER';
  if (lower.includes('roku')) return 'ROKU';
  return random.chance(0.15) ? 'BROWSER' : 'backend';
}

function generateServiceNames(random: Random, count: number): Array<{ name: string; kind: ServiceKind }> {
  const used = new Set<string>();
  const result: Array<{ name: string; kind: ServiceKind }> = [];
  while (result.length < count) {
    const roll = random.next();
    const kind: ServiceKind =
      roll < 0.7 ? 'backend' : roll < 0.85 ? 'BROWSER' : random.pick(MOBILE_PLATFORMS);
    const suffix = kind === 'backend' ? random.pick(BACKEND_SUFFIXES) : KIND_SUFFIX[kind];
    let name = `${random.pick(SERVICE_PREFIXES)}-${suffix}`;
    for (let attempt = 2; used.has(name); attempt++) name = `${name.replace(/-\d+$/, '')}-${attempt}`;
    used.add(name);
    result.push({ name, kind });
  }
  return result;
}

function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function personName(random: Random): { first: string; last: string } {
  return { first: random.pick(FIRST_NAMES), last: random.pick(LAST_NAMES) };
}

function generateUsers(random: Random, count: number, missingRate: number): SimulatedUser[] {
  const users: SimulatedUser[] = [];
  for (let index = 0; index < count; index++) {
    const { first, last } = personName(random);
    const handle = `${first}.${last}${index}`.toLowerCase();
    // Service accounts and half-provisioned users have empty strings, which the API passes through.
    const blank = random.chance(0.1);
    users.push({
      id: random.uuid(),
      email: blank ? '' : `${handle}@example.com`,
      handle: blank ? '' : handle,
      name: blank ? '' : `${first} ${last}`,
      omitFromIncluded: random.chance(missingRate),
    });
  }
  return users;
}

function generateTeams(random: Random, count: number, missingRate: number): SimulatedTeam[] {
  const teams: SimulatedTeam[] = [];
  for (let index = 0; index < count; index++) {
    const word = TEAM_WORDS[index % TEAM_WORDS.length] as string;
    const handle = index < TEAM_WORDS.length ? word : `${word}-${Math.floor(index / TEAM_WORDS.length) + 1}`;
    teams.push({
      id: random.uuid(),
      handle,
      name: `${handle.charAt(0).toUpperCase()}${handle.slice(1).replace(/-/g, ' ')} Team`,
      summary: random.chance(0.3) ? '' : `Owns the ${word} services.`,
      omitFromIncluded: random.chance(missingRate),
    });
  }
  return teams;
}

function buildServiceProfiles(
  random: Random,
  options: ResolvedOrgOptions,
  teams: SimulatedTeam[],
): ServiceProfile[] {
  const named: Array<{ name: string | undefined; kind: ServiceKind }> = options.serviceNames
    ? options.serviceNames.map((name) => ({ name, kind: kindFromName(name, random) }))
    : generateServiceNames(random, options.services);
  if (options.oddServiceNames) {
    const existing = new Set(named.map((service) => service.name));
    for (const name of ODD_SERVICE_NAMES) {
      if (!existing.has(name))
        named.push({ name, kind: name === '' ? 'backend' : kindFromName(name, random) });
    }
  }
  return named.map(({ name, kind }) => {
    const teamCount = teams.length === 0 ? 0 : random.pick([0, 1, 1, 1, 2]);
    const teamIds = random
      .shuffle([...teams])
      .slice(0, teamCount)
      .map((team) => team.id);
    const versions = Array.from({ length: 6 }, () => random.hex(8));
    return { name, kind, versions, teamIds };
  });
}

/**
 * Assigns a service profile to each issue: one issue per service first (so every service exists), the rest
 * skewed so that a few services own most issues, as in real orgs.
 */
function assignServices(
  random: Random,
  options: ResolvedOrgOptions,
  profiles: ServiceProfile[],
  noService: ServiceProfile,
): { assignment: ServiceProfile[]; collisionService: ServiceProfile | undefined } {
  const total = options.issues;
  const assignment: ServiceProfile[] = [];
  let collisionService: ServiceProfile | undefined;
  if (options.distribution === 'collisions' && profiles.length > 0) {
    collisionService = profiles[0];
    const collisionCount = Math.min(total, Math.max(130, Math.round(total * 0.3)));
    for (let index = 0; index < collisionCount; index++) assignment.push(profiles[0] as ServiceProfile);
  }
  if (options.oddServiceNames) {
    const withoutService = Math.min(total - assignment.length, Math.max(2, Math.round(total * 0.02)));
    for (let index = 0; index < withoutService; index++) assignment.push(noService);
  }
  for (const profile of profiles) {
    if (assignment.length >= total) break;
    if (profile !== collisionService) assignment.push(profile);
  }
  const weights = profiles.map((_, index) => 1 / (index + 1) ** 0.8);
  const weightSum = weights.reduce((sum, weight) => sum + weight, 0);
  while (assignment.length < total) {
    let roll = random.next() * weightSum;
    let chosen = profiles.length - 1;
    for (let index = 0; index < weights.length; index++) {
      roll -= weights[index] as number;
      if (roll < 0) {
        chosen = index;
        break;
      }
    }
    assignment.push(profiles[chosen] as ServiceProfile);
  }
  return { assignment: random.shuffle(assignment), collisionService };
}

function trackAndPlatform(random: Random, kind: ServiceKind): { track: Track; platform: string } {
  if (kind === 'backend') return { track: random.chance(0.7) ? 'trace' : 'logs', platform: 'BACKEND' };
  return { track: 'rum', platform: kind };
}

function pickLanguages(random: Random, platform: string): string[] {
  const pool = platform === 'BACKEND' ? BACKEND_LANGUAGES : (PLATFORM_LANGUAGES[platform] ?? ['UNKNOWN']);
  const first = random.pick(pool);
  if (pool.length > 1 && random.chance(0.15)) {
    const second = random.pick(pool);
    if (second !== first) return [first, second];
  }
  return [first];
}

function pickState(random: Random): string {
  const roll = random.next();
  if (roll < 0.7) return 'OPEN';
  if (roll < 0.82) return 'ACKNOWLEDGED';
  if (roll < 0.92) return 'RESOLVED';
  if (roll < 0.98) return 'IGNORED';
  return 'EXCLUDED';
}

/** Poisson-process timestamps in `[start, end)` at `perHour`, appended to `out`. */
function poissonTimestamps(random: Random, start: number, end: number, perHour: number, out: number[]): void {
  if (perHour <= 0 || end <= start) return;
  const meanGap = HOUR / perHour;
  let time = start + random.exponential(meanGap);
  while (time < end) {
    out.push(Math.floor(time));
    time += random.exponential(meanGap);
  }
}

interface Burst {
  start: number;
  end: number;
  members: Set<number>;
}

function planBursts(random: Random, options: ResolvedOrgOptions): Burst[] {
  const bursts: Burst[] = [];
  const range = options.to - options.from;
  for (let index = 0; index < options.bursts; index++) {
    const length = Math.min(range, random.between(2, 10) * MINUTE);
    const start = options.from + Math.floor(random.next() * (range - length));
    const members = new Set<number>();
    const target = Math.min(options.issues, options.issuesPerBurst);
    const order = random.shuffle(Array.from({ length: options.issues }, (_, issueIndex) => issueIndex));
    for (let member = 0; member < target; member++) members.add(order[member] as number);
    bursts.push({ start, end: Math.floor(start + length), members });
  }
  return bursts;
}

function occurrenceTimes(
  random: Random,
  options: ResolvedOrgOptions,
  issueIndex: number,
  bursts: Burst[],
): number[] {
  const { from, to, eventsPerIssueHour } = options;
  const range = to - from;
  // Log-normal spread of rates: a few loud issues and many quiet ones.
  const rate = eventsPerIssueHour * Math.exp(random.normal() * 0.6 - 0.18);
  const times: number[] = [];
  switch (options.distribution) {
    case 'dense': {
      // Jittered regular spacing rather than Poisson, so no issue goes quiet for long stretches.
      const period = HOUR / (eventsPerIssueHour * random.between(0.7, 1.4));
      let time = from + random.next() * period;
      while (time < to) {
        times.push(Math.floor(time));
        time += period * random.between(0.5, 1.5);
      }
      break;
    }
    case 'bursty': {
      poissonTimestamps(random, from, to, rate, times);
      for (const burst of bursts) {
        if (!burst.members.has(issueIndex)) continue;
        const count = 1 + random.poisson(4);
        for (let index = 0; index < count; index++) {
          times.push(Math.floor(burst.start + random.next() * (burst.end - burst.start)));
        }
      }
      break;
    }
    default: {
      // Log-uniform active period between one minute and the whole range.
      const minimum = Math.min(MINUTE, range);
      const duration = minimum * (range / minimum) ** random.next();
      const start = from + random.next() * (range - duration);
      poissonTimestamps(random, start, start + duration, rate, times);
      if (times.length === 0) times.push(Math.floor(start + random.next() * duration));
    }
  }
  if (times.length === 0) times.push(from + random.int(range));
  return times;
}

/** Adds the same-millisecond occurrences of the `collisions` distribution. */
function addCollisions(
  random: Random,
  options: ResolvedOrgOptions,
  times: number[][],
  assignment: ServiceProfile[],
  collisionService: ServiceProfile | undefined,
): Set<number> {
  const { from, to } = options;
  // Exact hour and minute boundaries, so bucket edges are exercised too.
  const hourMark = Math.ceil((from + (to - from) / 3) / HOUR) * HOUR;
  const bigInstant = hourMark < to ? hourMark : Math.ceil((from + (to - from) / 3) / MINUTE) * MINUTE;
  const instant = bigInstant < to ? bigInstant : from;
  const sameService = assignment.flatMap((profile, index) => (profile === collisionService ? [index] : []));
  const outage = sameService.slice(0, 150);
  for (const index of outage) times[index]?.push(instant);
  for (let collision = 0; collision < 5; collision++) {
    const at = random.chance(0.5)
      ? Math.min(to - 1, Math.floor((from + random.next() * (to - from)) / MINUTE) * MINUTE)
      : from + random.int(to - from);
    const members = random.intBetween(3, 20);
    for (let member = 0; member < members && assignment.length > 0; member++) {
      times[random.int(assignment.length)]?.push(Math.max(from, at));
    }
  }
  return new Set(outage);
}

/**
 * The issues of the big collision share one error type, like an outage that fails many code paths the
 * same way at once: the case where no facet divides the instant, so it must be declared incomplete.
 */
const OUTAGE_ERROR_TYPE = 'TimeoutError';

/** Turns unsorted timestamps into a series; users and sessions follow from the issue's end-user pool. */
export function buildSeries(
  random: Random,
  rawTimes: number[],
  userBase: number,
  endUsers: number,
  sessionMs: number,
): OccurrenceSeries {
  const timestamps = Float64Array.from(rawTimes).sort();
  const userIds = new Int32Array(timestamps.length);
  const sessionIds = new Int32Array(timestamps.length);
  // Each issue hits a slice of its service's users, skewed so a few users see it often.
  const poolSize = Math.max(1, Math.floor(endUsers * random.between(0.02, 1)));
  const offset = random.int(endUsers);
  for (let index = 0; index < timestamps.length; index++) {
    const local = (offset + Math.floor(poolSize * random.next() ** 1.5)) % endUsers;
    const user = userBase + local;
    userIds[index] = user;
    sessionIds[index] = mix32(user, Math.floor((timestamps[index] as number) / sessionMs)) & 0x7fffffff;
  }
  return { timestamps, userIds, sessionIds };
}

function buildCase(
  random: Random,
  sequence: number,
  issue: SimulatedIssue,
  creatorId: string,
  missingRate: number,
  unknown: boolean,
): SimulatedCase {
  const created = issue.firstSeen + random.int(DAY);
  const status = unknown ? 'ARCHIVED' : random.pick(CASE_STATUSES);
  const project = random.pick(JIRA_PROJECTS);
  const jiraNumber = random.intBetween(1, 9999);
  return {
    id: random.uuid(),
    key: `ET-${sequence}`,
    title: `${issue.errorType}: ${issue.errorMessage}`.slice(0, 120),
    description: random.chance(0.5)
      ? ''
      : `Investigate ${issue.errorType} in ${issue.service ?? 'unknown service'}.`,
    status,
    priority: random.pick(CASE_PRIORITIES),
    createdAt: isoTime(created),
    modifiedAt: isoTime(created + random.int(DAY)),
    closedAt: status === 'CLOSED' ? isoTime(created + DAY + random.int(DAY)) : null,
    archivedAt: status === 'ARCHIVED' ? isoTime(created + 2 * DAY) : null,
    creatorId,
    jiraIssue: random.chance(0.4)
      ? {
          status: 'COMPLETED',
          result: {
            issue_id: String(100000 + random.int(900000)),
            issue_key: `${project}-${jiraNumber}`,
            issue_url: `https://jira.example.com/browse/${project}-${jiraNumber}`,
            project_key: project,
          },
        }
      : null,
    extraAttributes: unknown ? { escalation_level: random.intBetween(1, 3) } : undefined,
    omitFromIncluded: random.chance(missingRate),
  };
}

/** Mutates a flagged issue so it carries values and attributes the exporter has never seen. */
function applyUnknownEnums(random: Random, issue: SimulatedIssue): void {
  const choices = random.shuffle(['state', 'platform', 'language']).slice(0, random.intBetween(1, 3));
  if (choices.includes('state')) issue.state = 'SNOOZED';
  if (choices.includes('platform')) issue.platform = 'SMART_TV';
  if (choices.includes('language')) issue.languages = [...issue.languages, 'ZIG'];
  issue.extraAttributes = {
    priority_score: Math.round(random.next() * 100) / 100,
    ai_summary: { text: `Likely cause: ${issue.errorMessage}`, model: 'sim-summarizer-1', confidence: 0.42 },
  };
  issue.withUnknownIncluded = random.chance(0.5);
}

export function generateOrg(options: OrgOptions = {}): SimulatedOrg {
  const resolved = resolveOrgOptions(options);
  const root = new Random(resolved.seed);
  const people = root.fork('people');
  const users = generateUsers(people, resolved.users, resolved.missingIncludedRate);
  const teams = generateTeams(root.fork('teams'), resolved.teams, resolved.missingIncludedRate);
  const profiles = buildServiceProfiles(root.fork('services'), resolved, teams);
  const noService: ServiceProfile = { name: undefined, kind: 'backend', versions: ['1.0.0'], teamIds: [] };
  const { assignment, collisionService } = assignServices(
    root.fork('assignment'),
    resolved,
    profiles,
    noService,
  );
  const bursts = resolved.distribution === 'bursty' ? planBursts(root.fork('bursts'), resolved) : [];

  const times = assignment.map((_, index) =>
    occurrenceTimes(root.fork(`times:${index}`), resolved, index, bursts),
  );
  const outage =
    resolved.distribution === 'collisions'
      ? addCollisions(root.fork('collisions'), resolved, times, assignment, collisionService)
      : new Set<number>();

  const allProfiles = [...profiles, noService];
  const issues: SimulatedIssue[] = [];
  const cases: SimulatedCase[] = [];
  const firstSeenBeforeRange = resolved.distribution === 'dense' ? 0.8 : 0.3;
  for (let index = 0; index < assignment.length; index++) {
    const profile = assignment[index] as ServiceProfile;
    const random = root.fork(`issue:${index}`);
    const series = buildSeries(
      random,
      times[index] as number[],
      allProfiles.indexOf(profile) * resolved.endUsersPerService,
      resolved.endUsersPerService,
      resolved.sessionMs,
    );
    const firstOccurrence = series.timestamps[0] as number;
    const { track, platform } = trackAndPlatform(random, profile.kind);
    const languages = pickLanguages(random, platform);
    const errors =
      LANGUAGE_ERRORS[languages[0] as string] ??
      (LANGUAGE_ERRORS.UNKNOWN as (typeof LANGUAGE_ERRORS)[string]);
    const state = pickState(random);
    const firstSeen = random.chance(firstSeenBeforeRange)
      ? firstOccurrence - HOUR - random.int(30 * DAY)
      : firstOccurrence;
    const issue: SimulatedIssue = {
      id: random.uuid(),
      index,
      service: profile.name,
      // A fork of its own, so that orgs without new tracks draw exactly as before.
      track: root.fork(`track:${index}`).chance(resolved.newTrackRate) ? NEW_TRACK : track,
      platform,
      languages,
      state,
      errorType: outage.has(index) ? OUTAGE_ERROR_TYPE : random.pick(errors.types),
      errorMessage: random.pick(ERROR_MESSAGES),
      filePath: random.pick(errors.files),
      functionName: random.pick(errors.functions),
      isCrash: platform === 'BACKEND' ? random.chance(0.05) : random.chance(0.3),
      firstSeen,
      firstSeenVersion: random.chance(0.2) ? '' : random.pick(profile.versions),
      lastSeenVersion: random.chance(0.2) ? '' : (profile.versions[profile.versions.length - 1] as string),
      assigneeId: users.length > 0 && random.chance(0.55) ? random.pick(users).id : null,
      caseId: null,
      teamIds: [...profile.teamIds],
      regression: undefined,
      resolvedAt: undefined,
      extraAttributes: undefined,
      emptyRelationshipStyle: random.chance(0.5) ? 'omit' : 'null',
      priorityWeight: random.between(0.5, 1.5),
      withUnknownIncluded: false,
      occurrences: series,
    };
    const lastOccurrence = series.timestamps[series.timestamps.length - 1] as number;
    if (state === 'RESOLVED') issue.resolvedAt = lastOccurrence + random.intBetween(1, 60) * MINUTE;
    if (state === 'OPEN' && random.chance(0.08)) {
      const resolvedAt = firstOccurrence - HOUR - random.int(3 * DAY);
      issue.regression = {
        resolved_at: isoTime(resolvedAt),
        regressed_at: isoTime(firstOccurrence),
        ...(issue.lastSeenVersion ? { regressed_at_version: issue.lastSeenVersion } : {}),
      };
    }
    const unknown = random.chance(resolved.unknownEnumRate);
    if (unknown) applyUnknownEnums(random, issue);
    if (random.chance(0.3)) {
      const simulatedCase = buildCase(
        random,
        cases.length + 1,
        issue,
        users.length > 0 ? random.pick(users).id : random.uuid(),
        resolved.missingIncludedRate,
        unknown && random.chance(0.5),
      );
      cases.push(simulatedCase);
      issue.caseId = simulatedCase.id;
    }
    issues.push(issue);
  }

  const danglingIds = addDanglingReferences(root.fork('dangling'), resolved, issues);
  const services: string[] = [];
  const seenServices = new Set<string>();
  for (const profile of profiles) {
    if (profile.name !== undefined && !seenServices.has(profile.name)) {
      seenServices.add(profile.name);
      services.push(profile.name);
    }
  }
  return {
    seed: resolved.seed,
    options: resolved,
    from: resolved.from,
    to: resolved.to,
    services,
    issues,
    issuesById: new Map(issues.map((issue) => [issue.id, issue])),
    users: new Map(users.map((user) => [user.id, user])),
    teams: new Map(teams.map((team) => [team.id, team])),
    cases: new Map(cases.map((simulatedCase) => [simulatedCase.id, simulatedCase])),
    casesByKey: new Map(cases.map((simulatedCase) => [simulatedCase.key, simulatedCase])),
    danglingIds,
    addedOccurrenceBatches: 0,
  };
}

/** Points a few relationships at ids that exist nowhere, so hydration must cope with a 404. */
function addDanglingReferences(
  random: Random,
  options: ResolvedOrgOptions,
  issues: SimulatedIssue[],
): SimulatedOrg['danglingIds'] {
  const dangling: SimulatedOrg['danglingIds'] = { users: [], teams: [], cases: [] };
  if (options.missingIncludedRate <= 0 || issues.length === 0) return dangling;
  const count = Math.max(1, Math.round(issues.length * 0.005));
  for (let index = 0; index < count; index++) {
    const issue = random.pick(issues);
    const id = random.uuid();
    switch (index % 3) {
      case 0:
        issue.assigneeId = id;
        dangling.users.push(id);
        break;
      case 1:
        issue.teamIds = [...issue.teamIds, id];
        dangling.teams.push(id);
        break;
      default:
        issue.caseId = id;
        dangling.cases.push(id);
    }
  }
  return dangling;
}
