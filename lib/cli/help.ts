export const USAGE = `error-tracking-export: export Datadog Error Tracking issues into a Parquet warehouse

Usage:
  error-tracking-export export --from <time> --to <time> --out <dir|s3://bucket/prefix>
      [--query <q>] [--persona ALL|BACKEND|BROWSER|MOBILE | --track trace,logs,rum]
      [--bucket 1h] [--concurrency 4] [--state <dir|s3://...>] [--events <file.ndjson|eventbridge:bus>]
      [--no-state-splits] [--no-track-splits] [--no-issue-pages]
  error-tracking-export demo
  error-tracking-export simulate [--port 8126] [--issues 3000] [--services 12] [--hours 24]
      [--distribution uniform|bursty|dense|collisions] [--seed 1] [--rate-limit 300/60]
      [--odd-service-names] [--missing-included 0.05] [--unknown-enums 0.05] [--new-track 0.05]
      [--faults 0.05] [--latency 20] [--error-type-facet refused|dropped|unmatched|strict]
      [--states-field refused|ignored] [--track-field refused|ignored] [--query-forms services-only]
      [--rankings count-only] [--refusal-status 500] [--max-query-length 4000]
  error-tracking-export query "<SQL>" [--out ./warehouse] [--format table|json]

Times are ISO-8601 (2026-11-01T00:00:00Z), epoch milliseconds, or relative (now, now-6h).
The range is widened to whole UTC buckets, so a re-run overwrites the same files.
--no-state-splits never divides a window by issue state: a search by state cannot see an issue in a
state newer than the documented five, so without them a complete run does not depend on every issue
being in a documented state (windows only states could divide are declared incomplete instead).
--no-track-splits never divides a window by track, so a complete run does not depend on every issue
being in trace, logs or rum.

Environment:
  DD_API_KEY, DD_APP_KEY   Datadog keys; the application key needs error_tracking_read
                           (and cases_read, teams_read, user_access_read for hydration)
  DD_SITE                  datadoghq.com (default), us3.datadoghq.com, us5.datadoghq.com, datadoghq.eu,
                           ap1.datadoghq.com, ap2.datadoghq.com, uk1.datadoghq.com, ddog-gov.com, us2.ddog-gov.com
  DD_API_URL               base URL override, e.g. a local simulator (http://127.0.0.1:8126)

Exit codes: 0 complete, 1 failure, 2 usage or configuration error, 3 finished with incomplete windows.
`;
