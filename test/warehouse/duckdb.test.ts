import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../lib/errors';
import { openWarehouse, runQuery, WarehouseQueryError } from '../../lib/warehouse/duckdb';
import { writeIssueBucket } from '../../lib/warehouse/issue-writer';
import { createLocalSink } from '../../lib/warehouse/local-sink';
import { encodeParquet } from '../../lib/warehouse/parquet';
import { STATE_CHANGE_COLUMNS } from '../../lib/warehouse/schema';
import { BUCKET_START, HOUR_MS, issueRow, temporaryDirectory } from './fixtures';

describe('openWarehouse and runQuery', () => {
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  beforeEach(async () => {
    directory = await temporaryDirectory();
  });
  afterEach(async () => {
    await directory.remove();
  });

  it('exposes issues with the raw service column and a dt date, and converts values for printing', async () => {
    const sink = createLocalSink(directory.path);
    await writeIssueBucket(
      sink,
      [
        issueRow({ issue_id: 'i1', service: 'a/b', total_count: 2 ** 53 - 1, team_handles: ['x', null] }),
        issueRow({ issue_id: 'i2', service: '', total_count: 5 }),
        issueRow({ issue_id: 'i3', service: null, total_count: 6 }),
      ],
      { bucketStart: BUCKET_START, bucketMs: HOUR_MS, scopeId: 's' },
    );
    const warehouse = await openWarehouse(directory.path);
    try {
      expect(warehouse.tables).toEqual(['issues']);
      const result = await runQuery(
        warehouse.connection,
        `SELECT issue_id, service, dt, first_seen, total_count, total_count * 4 AS big, team_handles, is_crash
         FROM issues ORDER BY issue_id`,
      );
      expect(result.columns).toEqual([
        'issue_id',
        'service',
        'dt',
        'first_seen',
        'total_count',
        'big',
        'team_handles',
        'is_crash',
      ]);
      expect(result.rows).toEqual([
        {
          issue_id: 'i1',
          service: 'a/b',
          dt: '2026-01-15',
          first_seen: '2025-12-01T08:30:15.123Z',
          total_count: 9007199254740991,
          big: '36028797018963964',
          team_handles: ['x', null],
          is_crash: false,
        },
        expect.objectContaining({ issue_id: 'i2', service: '', total_count: 5 }),
        expect.objectContaining({ issue_id: 'i3', service: null, total_count: 6 }),
      ]);
      const filtered = await runQuery(
        warehouse.connection,
        "SELECT count(*) AS n FROM issues WHERE dt = '2026-01-15'",
      );
      expect(filtered.rows).toEqual([{ n: 3 }]);
    } finally {
      warehouse.close();
    }
  });

  it('adds issue_state_changes and runs only when their files exist', async () => {
    const sink = createLocalSink(directory.path);
    await sink.put(
      'issue_state_changes/dt=2026-01-16/run-1.parquet',
      encodeParquet(STATE_CHANGE_COLUMNS, [
        {
          event_id: 'e1',
          issue_id: 'i1',
          change_kind: 'regressed',
          observed_at: Date.UTC(2026, 0, 16, 1),
          team_names: ['t'],
        },
      ]),
    );
    await mkdir(join(directory.path, '_runs'));
    await writeFile(
      join(directory.path, '_runs', 'run-1.json'),
      JSON.stringify({ run_id: 'run-1', rows: 3 }),
    );
    await writeFile(
      join(directory.path, '_runs', 'run-2.json'),
      JSON.stringify({ run_id: 'run-2', rows: 4, extra: true }),
    );

    const warehouse = await openWarehouse(directory.path);
    try {
      expect(warehouse.tables).toEqual(['issue_state_changes', 'runs']);
      expect(
        (
          await runQuery(
            warehouse.connection,
            'SELECT event_id, change_kind, observed_at, dt FROM issue_state_changes',
          )
        ).rows,
      ).toEqual([
        {
          event_id: 'e1',
          change_kind: 'regressed',
          observed_at: '2026-01-16T01:00:00.000Z',
          dt: '2026-01-16',
        },
      ]);
      expect(
        (await runQuery(warehouse.connection, 'SELECT run_id, rows, extra FROM runs ORDER BY run_id')).rows,
      ).toEqual([
        { run_id: 'run-1', rows: 3, extra: null },
        { run_id: 'run-2', rows: 4, extra: true },
      ]);
      const missing = runQuery(warehouse.connection, 'SELECT * FROM issues');
      await expect(missing).rejects.toBeInstanceOf(WarehouseQueryError);
      await expect(missing).rejects.toThrow(
        'Table issues does not exist in this warehouse (no files for it yet); tables available: issue_state_changes, runs.',
      );
    } finally {
      warehouse.close();
    }
  });

  it('opens an empty or missing folder with no tables and reports query errors on one line', async () => {
    const warehouse = await openWarehouse(join(directory.path, 'does-not-exist'));
    try {
      expect(warehouse.tables).toEqual([]);
      await expect(runQuery(warehouse.connection, 'SELECT count(*) FROM runs')).rejects.toThrow(
        /^Table runs does not exist in this warehouse \(no files for it yet\); tables available: none/,
      );
      const syntax = runQuery(warehouse.connection, 'SELEC 1');
      await expect(syntax).rejects.toBeInstanceOf(UserError);
      await expect(syntax).rejects.toThrow(/^Query failed: Parser Error: syntax error at or near "SELEC"$/);
      expect((await runQuery(warehouse.connection, "SELECT 1 AS one, DATE '2026-01-02' AS d")).rows).toEqual([
        { one: 1, d: '2026-01-02' },
      ]);
    } finally {
      warehouse.close();
    }
  });
});
