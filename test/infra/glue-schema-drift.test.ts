import { beforeAll, describe, expect, it } from 'vitest';
import { ISSUES_PARTITION_KEYS, STATE_CHANGES_PARTITION_KEYS } from '../../infra/catalog';
import { GLUE_TYPE_BY_COLUMN_TYPE, glueColumns } from '../../infra/glue-columns';
import { type ColumnDefinition, ISSUE_COLUMNS, STATE_CHANGE_COLUMNS } from '../../lib/warehouse/schema';
import { type SynthesizedStack, synthesizeStack } from './synth';

/** The type map as the README documents it; the synthesized tables must follow it exactly. */
const DOCUMENTED_TYPE_MAP = {
  string: 'string',
  json: 'string',
  int64: 'bigint',
  boolean: 'boolean',
  timestamp: 'timestamp',
  string_list: 'array<string>',
} as const;

let synthesized: SynthesizedStack;

beforeAll(() => {
  synthesized = synthesizeStack();
});

interface SynthesizedTable {
  columns: Array<{ Name: string; Type: string }>;
  partitionKeys: Array<{ Name: string; Type: string }>;
}

function synthesizedTable(name: string): SynthesizedTable {
  const tables = Object.values(synthesized.template.findResources('AWS::Glue::Table')) as Array<{
    Properties: {
      TableInput: {
        Name: string;
        PartitionKeys: SynthesizedTable['partitionKeys'];
        StorageDescriptor: { Columns: SynthesizedTable['columns'] };
      };
    };
  }>;
  const table = tables.find((candidate) => candidate.Properties.TableInput.Name === name);
  if (table === undefined) {
    throw new Error(`No Glue table ${name} in the template.`);
  }
  return {
    columns: table.Properties.TableInput.StorageDescriptor.Columns,
    partitionKeys: table.Properties.TableInput.PartitionKeys,
  };
}

const expectedColumns = (columns: readonly ColumnDefinition[], partitionKeyNames: readonly string[]) =>
  columns
    .filter((column) => !partitionKeyNames.includes(column.name))
    .map((column) => ({ Name: column.name, Type: DOCUMENTED_TYPE_MAP[column.type] }));

describe('Glue tables follow the warehouse schema', () => {
  it('maps every column type the way the README documents', () => {
    expect(GLUE_TYPE_BY_COLUMN_TYPE).toEqual(DOCUMENTED_TYPE_MAP);
  });

  it('declares issues with the writer columns and types, in order, minus the service partition key', () => {
    const table = synthesizedTable('issues');
    expect(table.columns.map(({ Name, Type }) => ({ Name, Type }))).toEqual(
      expectedColumns(ISSUE_COLUMNS, ['service']),
    );
    expect(table.partitionKeys.map(({ Name, Type }) => ({ Name, Type }))).toEqual([
      { Name: 'service', Type: 'string' },
      { Name: 'dt', Type: 'string' },
    ]);
  });

  it('declares issue_state_changes with every writer column and type, in order', () => {
    const table = synthesizedTable('issue_state_changes');
    expect(table.columns.map(({ Name, Type }) => ({ Name, Type }))).toEqual(
      expectedColumns(STATE_CHANGE_COLUMNS, []),
    );
    expect(table.partitionKeys.map(({ Name }) => Name)).toEqual(['dt']);
  });

  it('keeps partition keys out of the data columns and matches the writer type of a dropped column', () => {
    for (const [columns, partitionKeys] of [
      [ISSUE_COLUMNS, ISSUES_PARTITION_KEYS],
      [STATE_CHANGE_COLUMNS, STATE_CHANGES_PARTITION_KEYS],
    ] as const) {
      const dataColumnNames = new Set(
        glueColumns(
          columns,
          partitionKeys.map((key) => key.name),
        ).map((column) => column.name),
      );
      for (const key of partitionKeys) {
        expect(dataColumnNames.has(key.name)).toBe(false);
        const writerColumn = (columns as readonly ColumnDefinition[]).find(
          (column) => column.name === key.name,
        );
        if (writerColumn !== undefined) {
          // Athena fills the column from the partition value, so the types must agree.
          expect(key.type).toBe(DOCUMENTED_TYPE_MAP[writerColumn.type]);
        }
      }
    }
  });

  it('fails when the writer schema and the Glue columns disagree', () => {
    const drifted = ISSUE_COLUMNS.map((column) =>
      column.name === 'total_count' ? { ...column, type: 'string' as const } : column,
    );
    expect(synthesizedTable('issues').columns.map(({ Name, Type }) => ({ Name, Type }))).not.toEqual(
      expectedColumns(drifted, ['service']),
    );
  });
});
