import type { ColumnDefinition, ColumnType } from './schema';

const PARQUET_TYPE: Record<ColumnType, string> = {
  string: 'STRING',
  json: 'STRING (JSON)',
  int64: 'INT64',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP(MILLIS, UTC)',
  string_list: 'LIST<STRING>',
};

/** The README's schema table, generated from the column contract so the two cannot drift apart. */
export function schemaMarkdown(columns: readonly ColumnDefinition[]): string {
  const lines = ['| column | Parquet type | meaning |', '| --- | --- | --- |'];
  for (const column of columns) {
    lines.push(
      `| \`${column.name}\` | ${PARQUET_TYPE[column.type]} | ${column.description.replaceAll('|', '\\|')} |`,
    );
  }
  return lines.join('\n');
}
