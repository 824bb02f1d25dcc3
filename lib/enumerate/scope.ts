import type { Persona, Track } from '../datadog/types';

/**
 * What the user asked to export: a query and either a persona or one track. `--track trace,logs` yields
 * one scope per track, so rows carry their track; a persona yields one scope whose rows have no track.
 */
export interface SearchScope {
  readonly query: string;
  readonly persona?: Persona;
  readonly track?: Track;
}

export function describeScope(scope: SearchScope): string {
  return scope.track ? `track:${scope.track}` : `persona:${scope.persona ?? 'ALL'}`;
}
