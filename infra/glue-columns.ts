import type { ColumnDefinition, ColumnType } from '../lib/warehouse/schema';

/** A Glue (Hive) column as CloudFormation's `AWS::Glue::Table` expects it. */
export interface GlueColumn {
  readonly name: string;
  readonly type: string;
  readonly comment?: string;
}

/**
 * How each warehouse column type is declared in Glue. `json` columns are JSON text in Parquet, so Athena
 * reads them as strings and queries them with `json_extract`. Timestamps are written as Parquet
 * timestamps (UTC), which Athena's `timestamp` reads directly.
 */
export const GLUE_TYPE_BY_COLUMN_TYPE: Readonly<Record<ColumnType, string>> = {
  string: 'string',
  json: 'string',
  int64: 'bigint',
  boolean: 'boolean',
  timestamp: 'timestamp',
  string_list: 'array<string>',
};

// Glue stores comments up to 255 characters; longer descriptions are cut rather than rejected.
const GLUE_COMMENT_LIMIT = 255;

/** The Glue type for one warehouse column type. */
export function glueType(type: ColumnType): string {
  return GLUE_TYPE_BY_COLUMN_TYPE[type];
}

/**
 * Glue data columns for a warehouse table. Glue rejects a data column that has the same name as a
 * partition key, so pass the partition key names to leave them out: for `issues`, Athena's `service`
 * column then comes from the `service=` partition value, which the exporter registers unescaped.
 */
export function glueColumns(
  columns: readonly ColumnDefinition[],
  partitionKeyNames: readonly string[] = [],
): GlueColumn[] {
  const excluded = new Set(partitionKeyNames);
  return columns
    .filter((column) => !excluded.has(column.name))
    .map((column) => ({
      name: column.name,
      type: glueType(column.type),
      comment: column.description.slice(0, GLUE_COMMENT_LIMIT),
    }));
}
