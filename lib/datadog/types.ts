/**
 * Datadog Error Tracking wire types: the JSON shapes on the HTTP boundary, and nothing else.
 *
 * Every attribute is optional and every enum is widened to `string`, because Datadog adds fields and enum
 * values over time and an export must keep working when it does. The mapping to warehouse rows lives in
 * one place (`lib/enumerate/rows.ts`).
 */

export const TRACKS = ['trace', 'logs', 'rum'] as const;
export type Track = (typeof TRACKS)[number];

export const PERSONAS = ['ALL', 'BROWSER', 'MOBILE', 'BACKEND'] as const;
export type Persona = (typeof PERSONAS)[number];

export const ORDER_BY = ['TOTAL_COUNT', 'FIRST_SEEN', 'IMPACTED_SESSIONS', 'PRIORITY'] as const;
export type OrderBy = (typeof ORDER_BY)[number];

/** Known issue states. Values outside this list are kept as data. */
export const ISSUE_STATES = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED', 'IGNORED', 'EXCLUDED'] as const;
export type KnownIssueState = (typeof ISSUE_STATES)[number];

/** The search endpoint never returns more than this many results, and has no cursor. */
export const SEARCH_RESULT_CAP = 100;

export const SEARCH_INCLUDE = 'issue,issue.assignee,issue.case,issue.team_owners';
export const ISSUE_INCLUDE = 'assignee,case,team_owners';

export interface SearchRequestAttributes {
  query: string;
  /** Inclusive, epoch milliseconds. */
  from: number;
  /** Exclusive, epoch milliseconds. */
  to: number;
  track?: Track;
  persona?: Persona;
  order_by?: OrderBy;
  /** OR'ed. */
  states?: string[];
  assignee_ids?: string[];
  team_ids?: string[];
}

export interface SearchRequestBody {
  data: { type: 'search_request'; attributes: SearchRequestAttributes };
}

export interface RelationshipToOne {
  data: { id: string; type: string } | null;
}

export interface RelationshipToMany {
  data: Array<{ id: string; type: string }>;
}

export interface SearchResultWire {
  id: string;
  type: string;
  attributes: {
    total_count?: number;
    impacted_users?: number;
    impacted_sessions?: number;
    [unknown: string]: unknown;
  };
  relationships?: { issue?: RelationshipToOne };
}

export interface IssueAttributesWire {
  error_message?: string;
  error_type?: string;
  file_path?: string;
  function_name?: string;
  service?: string;
  first_seen?: number;
  last_seen?: number;
  first_seen_version?: string;
  last_seen_version?: string;
  is_crash?: boolean;
  languages?: string[];
  platform?: string;
  state?: string;
  regression?: { resolved_at?: string; regressed_at?: string; regressed_at_version?: string };
  [unknown: string]: unknown;
}

export interface IssueWire {
  id: string;
  type: 'issue';
  attributes: IssueAttributesWire;
  relationships?: {
    assignee?: RelationshipToOne;
    case?: RelationshipToOne;
    team_owners?: RelationshipToMany;
    [unknown: string]: unknown;
  };
}

export interface UserWire {
  id: string;
  /** `user` when included in a search, `users` from `GET /api/v2/users/{id}`. */
  type: 'user' | 'users';
  attributes: { email?: string; handle?: string; name?: string; [unknown: string]: unknown };
}

export interface TeamWire {
  id: string;
  type: 'team';
  attributes: { handle?: string; name?: string; summary?: string; [unknown: string]: unknown };
}

export interface CaseWire {
  id: string;
  type: 'case';
  attributes: {
    key?: string;
    title?: string;
    description?: string;
    status?: string;
    priority?: string;
    created_at?: string;
    modified_at?: string;
    closed_at?: string | null;
    archived_at?: string | null;
    jira_issue?: {
      status?: string;
      result?: { issue_id?: string; issue_key?: string; issue_url?: string; project_key?: string };
    } | null;
    [unknown: string]: unknown;
  };
}

/** A resource in `included` of a type this exporter does not know is ignored, never an error. */
export interface UnknownIncludedWire {
  id: string;
  type: string;
  attributes?: Record<string, unknown>;
}

export type IncludedWire = IssueWire | UserWire | TeamWire | CaseWire | UnknownIncludedWire;

export interface SearchResponseWire {
  data: SearchResultWire[];
  included?: IncludedWire[];
}

export interface IssueResponseWire {
  data: IssueWire;
  included?: IncludedWire[];
}

export interface UpdateStateRequestBody {
  data: { id: string; type: 'error_tracking_issue'; attributes: { state: string } };
}
