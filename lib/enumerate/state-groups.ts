import { ISSUE_STATES } from '../datadog/types';

/**
 * The states a busy service's issues are searched in when error types cannot divide it: open issues apart
 * from the rest. `states` is a field of the search request rather than a term of its query, so one search
 * can never hold two groups; two groups are few enough to pack well and divide a service in about two.
 */
export const STATE_GROUPS: readonly (readonly string[])[] = [
  ['OPEN'],
  ISSUE_STATES.filter((state) => state !== 'OPEN'),
];

/**
 * The group of a state, or `undefined` for a state the `states` field does not accept (a newer one, or
 * none given): such an issue is found by no search of any group.
 */
export function stateGroupOf(state: string | undefined): number | undefined {
  if (state === undefined) return undefined;
  const group = STATE_GROUPS.findIndex((states) => states.includes(state));
  return group < 0 ? undefined : group;
}
