/** Deterministic, realistic issue rows for the Parquet benchmarks, importable without running one. */
import type { IssueRow } from '../lib/warehouse/schema';

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function generateIssueRows(count: number, seed = 42): IssueRow[] {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const hex = (length: number) => {
    let text = '';
    for (let index = 0; index < length; index++) text += Math.floor(random() * 16).toString(16);
    return text;
  };
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
  const words = (wordCount: number) =>
    Array.from({ length: wordCount }, () =>
      pick([
        'user',
        'order',
        'timeout',
        'connection',
        'refused',
        'null',
        'index',
        'cart',
        'token',
        'payment',
      ]),
    ).join(' ');

  const services = [
    'checkout-api',
    'web-store',
    'payments',
    'search',
    'ios-app',
    'android-app',
    'auth',
    'ledger',
  ];
  const states = ['OPEN', 'OPEN', 'OPEN', 'ACKNOWLEDGED', 'RESOLVED', 'RESOLVED', 'IGNORED'];
  const platformLanguages: Record<string, string[]> = {
    BACKEND: ['python'],
    BROWSER: ['javascript', 'typescript'],
    IOS: ['swift'],
    ANDROID: ['kotlin', 'java'],
    REACT_NATIVE: ['javascript'],
  };
  const platforms = Object.keys(platformLanguages);
  const errorTypes = Array.from({ length: 30 }, (_, index) =>
    pick([
      'builtins.TypeError',
      'KeyError',
      'java.lang.NullPointerException',
      'TimeoutError',
      'RangeError',
    ]).concat(index % 3 === 0 ? `.${index}` : ''),
  );
  const filePaths = Array.from({ length: 500 }, () => `src/${words(2).replaceAll(' ', '/')}/${hex(6)}.py`);
  const functionNames = Array.from({ length: 500 }, () => `handle_${words(2).replaceAll(' ', '_')}`);
  const versions = Array.from({ length: 20 }, (_, index) => `v1.${Math.floor(index / 4)}.${index % 4}`);
  const teams = Array.from({ length: 12 }, (_, index) => ({
    id: uuid(),
    handle: `team-${index}`,
    name: `Team ${index}`,
  }));
  const people = Array.from({ length: 40 }, (_, index) => ({
    id: uuid(),
    email: `person${index}@example.com`,
    handle: `person${index}`,
    name: `Person ${index}`,
  }));
  const rawBlob = () =>
    JSON.stringify({
      tags: Array.from({ length: 12 }, () => `${words(1)}:${hex(8)}`),
      context: { request_id: uuid(), route: `/${words(3).replaceAll(' ', '/')}`, note: words(40) },
    });

  const exportedAt = Date.UTC(2026, 0, 15, 12, 0, 0);
  const bucketMs = 3_600_000;
  const rows: IssueRow[] = [];
  for (let index = 0; index < count; index++) {
    const platform = pick(platforms);
    const windowStart = Date.UTC(2026, 0, 14) + Math.floor(random() * 24) * bucketMs;
    const firstSeen = windowStart - Math.floor(random() * 90 * 86_400_000);
    const lastSeen = windowStart + Math.floor(random() * bucketMs);
    const teamCount = Math.floor(random() * 3);
    const issueTeams = Array.from({ length: teamCount }, () => pick(teams));
    const unknownTeam = random() < 0.05;
    const assignee = random() < 0.3 ? pick(people) : null;
    const hasCase = random() < 0.1;
    const totalCount = Math.floor(1 / (random() + 0.001));
    const message = `${words(3)}: ${hex(8)} ${words(Math.floor(random() * 30))}`
      .slice(0, 200)
      .padEnd(30, '.');
    rows.push({
      issue_id: uuid(),
      service: pick(services),
      state: pick(states),
      error_type: pick(errorTypes),
      error_message: message,
      file_path: pick(filePaths),
      function_name: pick(functionNames),
      platform,
      languages: platformLanguages[platform] ?? null,
      is_crash: random() < 0.1,
      first_seen: firstSeen,
      last_seen: lastSeen,
      first_seen_version: random() < 0.8 ? pick(versions) : null,
      last_seen_version: random() < 0.8 ? pick(versions) : null,
      regressed_at: random() < 0.05 ? lastSeen - 1000 : null,
      regressed_at_version: random() < 0.03 ? pick(versions) : null,
      total_count: totalCount,
      impacted_users: Math.floor(totalCount * random()),
      impacted_sessions: Math.floor(totalCount * random()),
      impacted_counts_exact: random() < 0.9,
      bucket_complete: random() < 0.98,
      window_start: windowStart,
      window_end: windowStart + bucketMs,
      track: null,
      persona: 'ALL',
      assignee_id: assignee?.id ?? null,
      assignee_email: assignee?.email ?? null,
      assignee_handle: assignee?.handle ?? null,
      assignee_name: assignee?.name ?? null,
      case_id: hasCase ? uuid() : null,
      case_key: hasCase ? `ET-${index}` : null,
      case_title: hasCase ? words(6) : null,
      case_status: hasCase ? pick(['OPEN', 'IN_PROGRESS', 'CLOSED']) : null,
      case_priority: hasCase ? pick(['NOT_DEFINED', 'P1', 'P2', 'P3']) : null,
      case_jira_issue_key: hasCase && random() < 0.5 ? `JIRA-${index}` : null,
      team_ids: issueTeams.map((team) => team.id),
      team_handles: issueTeams.map((team) => (unknownTeam ? null : team.handle)),
      team_names: issueTeams.map((team) => (unknownTeam ? null : team.name)),
      raw_attributes: random() < 0.25 ? rawBlob() : random() < 0.5 ? '{}' : null,
      exported_at: exportedAt,
      run_id: 'run-20260115T120000Z-abc123',
    });
  }
  return rows;
}
