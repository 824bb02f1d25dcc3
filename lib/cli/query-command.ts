import { parseFlags } from '../config';
import { ConfigError } from '../errors';
import { openWarehouse, runQuery } from '../warehouse/duckdb';
import type { ExportCommandIo } from './export-command';
import { formatTable } from './table';

/** Runs SQL over the local warehouse through DuckDB, with the tables `issues`, `issue_state_changes` and `runs`. */
export async function queryCommand(argv: readonly string[], io: ExportCommandIo): Promise<number> {
  const { values, positionals } = parseFlags(
    'query',
    argv,
    { out: { type: 'string' }, format: { type: 'string' } },
    true,
  );
  const sql = positionals.join(' ').trim();
  if (!sql)
    throw new ConfigError(
      'query: give the SQL as an argument, e.g. error-tracking-export query "SELECT count(*) FROM issues"',
    );
  const format = values.format ?? 'table';
  if (format !== 'table' && format !== 'json')
    throw new ConfigError(`query: --format must be table or json, got ${JSON.stringify(format)}`);
  const warehouse = await openWarehouse(values.out ?? './warehouse');
  try {
    const result = await runQuery(warehouse.connection, sql);
    io.stdout.write(
      format === 'json'
        ? `${JSON.stringify(result.rows, null, 2)}\n`
        : `${formatTable(result.columns, result.rows)}\n`,
    );
    return 0;
  } finally {
    warehouse.close();
  }
}
