/**
 * Registers the partitions a run wrote in the Glue catalog, so Athena sees new data as soon as the run
 * finishes without a crawler or `MSCK REPAIR TABLE`.
 */
import {
  BatchCreatePartitionCommand,
  GetTableCommand,
  type GlueClient,
  type PartitionInput,
  type StorageDescriptor,
} from '@aws-sdk/client-glue';
import type { WrittenFile } from '../warehouse/issue-writer';
import { HIVE_DEFAULT_PARTITION, ISSUES_PREFIX } from '../warehouse/layout';
import type { GlueTables, S3Location } from './config';

/** Only `send` is used, so tests can pass a fake that records commands. */
export type GlueSendClient = Pick<GlueClient, 'send'>;

/** Glue's limit of partitions per `BatchCreatePartition` request. */
export const MAX_PARTITIONS_PER_REQUEST = 100;

const STATE_CHANGES_PREFIX = 'issue_state_changes/';
const ALREADY_EXISTS = 'AlreadyExistsException';

export interface PartitionRegistration {
  /** Partitions Glue created now. */
  readonly created: number;
  /** Partitions Glue already had (another container or an earlier run registered them). */
  readonly existing: number;
  /** Partitions this container registered before, so they were not sent again. */
  readonly cached: number;
}

export interface PartitionRegistrar {
  /** Registers the partitions of these files; files outside `issues/` and `issue_state_changes/` are ignored. */
  register(files: readonly WrittenFile[]): Promise<PartitionRegistration>;
}

export class PartitionRegistrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

interface PlannedPartition {
  readonly table: string;
  readonly values: string[];
  readonly location: string;
}

function folderOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

function planPartition(
  file: WrittenFile,
  tables: GlueTables,
  warehouseRoot: string,
): PlannedPartition | null {
  const location = `${warehouseRoot}${folderOf(file.key)}`;
  if (file.key.startsWith(ISSUES_PREFIX)) {
    // Glue holds the raw value; only the S3 folder name is escaped.
    const service = file.service === null || file.service === '' ? HIVE_DEFAULT_PARTITION : file.service;
    return { table: tables.issuesTable, values: [service, file.dt], location };
  }
  if (file.key.startsWith(STATE_CHANGES_PREFIX)) {
    return { table: tables.stateChangesTable, values: [file.dt], location };
  }
  return null;
}

const cacheKey = (partition: Pick<PlannedPartition, 'table' | 'values'>) =>
  JSON.stringify([partition.table, ...partition.values]);

/**
 * Each table's storage descriptor is read once and copied into its partitions with the partition's
 * location. Registered partitions are remembered for the container's lifetime; across containers,
 * Glue's AlreadyExistsException makes registering again harmless.
 */
export function createPartitionRegistrar(
  glue: GlueSendClient,
  tables: GlueTables,
  warehouse: S3Location,
): PartitionRegistrar {
  const warehouseRoot = `s3://${warehouse.bucket}/${warehouse.prefix === '' ? '' : `${warehouse.prefix}/`}`;
  const registered = new Set<string>();
  const descriptors = new Map<string, Promise<StorageDescriptor>>();

  const storageDescriptorOf = (table: string): Promise<StorageDescriptor> => {
    let descriptor = descriptors.get(table);
    if (!descriptor) {
      descriptor = glue
        .send(new GetTableCommand({ DatabaseName: tables.database, Name: table }))
        .then((response) => {
          const storageDescriptor = response.Table?.StorageDescriptor;
          if (!storageDescriptor) {
            throw new PartitionRegistrationError(
              `Glue table ${tables.database}.${table} has no storage descriptor: deploy the stack's catalog again`,
            );
          }
          return storageDescriptor;
        });
      descriptors.set(table, descriptor);
      descriptor.catch(() => descriptors.delete(table));
    }
    return descriptor;
  };

  const createBatch = async (table: string, batch: readonly PlannedPartition[]) => {
    const descriptor = await storageDescriptorOf(table);
    const inputs: PartitionInput[] = batch.map((partition) => ({
      Values: partition.values,
      StorageDescriptor: { ...descriptor, Location: partition.location },
    }));
    const response = await glue.send(
      new BatchCreatePartitionCommand({
        DatabaseName: tables.database,
        TableName: table,
        PartitionInputList: inputs,
      }),
    );
    const errors = response.Errors ?? [];
    const failures = errors.filter((error) => error.ErrorDetail?.ErrorCode !== ALREADY_EXISTS);
    const failed = new Set(failures.map((error) => cacheKey({ table, values: error.PartitionValues ?? [] })));
    for (const partition of batch) {
      if (!failed.has(cacheKey(partition))) registered.add(cacheKey(partition));
    }
    if (failures.length > 0) {
      const [first] = failures;
      throw new PartitionRegistrationError(
        `Glue could not register ${failures.length} partition(s) of ${tables.database}.${table}, first ${JSON.stringify(first?.PartitionValues ?? [])}: ${first?.ErrorDetail?.ErrorCode ?? 'Unknown'}: ${first?.ErrorDetail?.ErrorMessage ?? ''}`.trim(),
      );
    }
    return { created: batch.length - errors.length, existing: errors.length };
  };

  return {
    async register(files) {
      const seen = new Set<string>();
      const pending: PlannedPartition[] = [];
      for (const file of files) {
        const partition = planPartition(file, tables, warehouseRoot);
        if (!partition || seen.has(cacheKey(partition))) continue;
        seen.add(cacheKey(partition));
        if (!registered.has(cacheKey(partition))) pending.push(partition);
      }
      const cached = seen.size - pending.length;
      const byTable = new Map<string, PlannedPartition[]>();
      for (const partition of pending) {
        byTable.set(partition.table, [...(byTable.get(partition.table) ?? []), partition]);
      }
      let created = 0;
      let existing = 0;
      for (const [table, partitions] of byTable) {
        for (let start = 0; start < partitions.length; start += MAX_PARTITIONS_PER_REQUEST) {
          const result = await createBatch(
            table,
            partitions.slice(start, start + MAX_PARTITIONS_PER_REQUEST),
          );
          created += result.created;
          existing += result.existing;
        }
      }
      return { created, existing, cached };
    },
  };
}
