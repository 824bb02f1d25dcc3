import { type BatchCreatePartitionCommand, GetTableCommand } from '@aws-sdk/client-glue';
import { describe, expect, it } from 'vitest';
import {
  createPartitionRegistrar,
  MAX_PARTITIONS_PER_REQUEST,
  PartitionRegistrationError,
} from '../../lib/lambda/partitions';
import { createDatadogKeysLoader, DatadogSecretError } from '../../lib/lambda/secrets';
import type { WrittenFile } from '../../lib/warehouse/issue-writer';
import { issueObjectKey } from '../../lib/warehouse/layout';
import { fakeGlue, fakeSecrets, STORAGE_DESCRIPTOR } from './support';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:datadog-AbCdEf';
const API_KEY = 'api-key-0123456789abcdef';
const APP_KEY = 'app-key-fedcba9876543210';
const TABLES = {
  database: 'error_tracking',
  issuesTable: 'issues',
  stateChangesTable: 'issue_state_changes',
};
const WAREHOUSE = { bucket: 'warehouse-bucket', prefix: 'warehouse' };
const BUCKET_START = Date.parse('2026-02-03T05:00:00Z');

function issueFile(service: string | null, bucketStart = BUCKET_START): WrittenFile {
  const key = issueObjectKey({ service, bucketStart, bucketMs: 3_600_000, scopeId: 'abc123' });
  return { key, service, dt: new Date(bucketStart).toISOString().slice(0, 10), rows: 1, bytes: 100 };
}

describe('createDatadogKeysLoader', () => {
  it('reads the secret once per container and again after invalidate', async () => {
    const secrets = fakeSecrets(JSON.stringify({ DD_API_KEY: API_KEY, DD_APP_KEY: ` ${APP_KEY}\n` }));
    const loader = createDatadogKeysLoader(secrets.client, SECRET_ARN);
    expect(await loader.get()).toEqual({ apiKey: API_KEY, appKey: APP_KEY });
    expect(await loader.get()).toEqual({ apiKey: API_KEY, appKey: APP_KEY });
    expect(secrets.state.requests).toEqual([SECRET_ARN]);
    secrets.state.value = JSON.stringify({ DD_API_KEY: 'rotated-api', DD_APP_KEY: 'rotated-app' });
    loader.invalidate();
    expect(await loader.get()).toEqual({ apiKey: 'rotated-api', appKey: 'rotated-app' });
    expect(secrets.state.requests).toHaveLength(2);
  });

  it.each([
    [
      JSON.stringify({ DD_API_KEY: API_KEY }),
      /has no DD_APP_KEY: add "DD_APP_KEY" with the Datadog application key/,
    ],
    [JSON.stringify({ DD_API_KEY: '', DD_APP_KEY: APP_KEY }), /has no DD_API_KEY: add "DD_API_KEY"/],
    [`{"DD_API_KEY":"${API_KEY}",`, /is not a JSON object: store \{"DD_API_KEY":"…","DD_APP_KEY":"…"\}/],
    [JSON.stringify([API_KEY, APP_KEY]), /is not a JSON object/],
    [undefined, /has no string value/],
  ])('explains a bad secret %#, one line, without its content', async (value, expected) => {
    const loader = createDatadogKeysLoader(fakeSecrets(value).client, SECRET_ARN);
    const error = await loader.get().then(
      () => null,
      (caught: unknown) => caught as Error,
    );
    expect(error).toBeInstanceOf(DatadogSecretError);
    expect(error!.message).toMatch(expected);
    expect(error!.message).toContain(SECRET_ARN);
    expect(error!.message).not.toContain('\n');
    expect(error!.message).not.toContain(API_KEY);
    expect(error!.message).not.toContain(APP_KEY);
  });

  it('does not cache a failed read', async () => {
    let calls = 0;
    const client = {
      async send() {
        calls += 1;
        if (calls === 1)
          throw Object.assign(new Error('Secrets Manager can not find the secret'), {
            name: 'ResourceNotFoundException',
          });
        return { SecretString: JSON.stringify({ DD_API_KEY: API_KEY, DD_APP_KEY: APP_KEY }) };
      },
    };
    const loader = createDatadogKeysLoader(client as never, SECRET_ARN);
    await expect(loader.get()).rejects.toThrow(
      /^Reading secret .* failed \(ResourceNotFoundException: Secrets Manager can not find the secret\): check DD_SECRET_ARN/,
    );
    expect(await loader.get()).toEqual({ apiKey: API_KEY, appKey: APP_KEY });
  });
});

describe('createPartitionRegistrar', () => {
  it('registers unescaped values at escaped locations with the table storage descriptor', async () => {
    const glue = fakeGlue();
    const registrar = createPartitionRegistrar(glue.client, TABLES, WAREHOUSE);
    const files = [
      issueFile('checkout/api: v2'),
      issueFile(null),
      issueFile('web'),
      issueFile('web', BUCKET_START + 3_600_000),
      {
        key: 'issue_state_changes/dt=2026-02-03/changes-0000000007.parquet',
        service: null,
        dt: '2026-02-03',
        rows: 3,
        bytes: 200,
      },
    ];
    expect(await registrar.register(files)).toEqual({ created: 4, existing: 0, cached: 0 });

    const issues = [...glue.partitions.values()].filter((partition) => partition.table === 'issues');
    expect(issues).toEqual([
      {
        table: 'issues',
        values: ['checkout/api: v2', '2026-02-03'],
        location: 's3://warehouse-bucket/warehouse/issues/service=checkout%2Fapi%3A v2/dt=2026-02-03/',
      },
      {
        table: 'issues',
        values: ['__HIVE_DEFAULT_PARTITION__', '2026-02-03'],
        location: 's3://warehouse-bucket/warehouse/issues/service=__HIVE_DEFAULT_PARTITION__/dt=2026-02-03/',
      },
      {
        table: 'issues',
        values: ['web', '2026-02-03'],
        location: 's3://warehouse-bucket/warehouse/issues/service=web/dt=2026-02-03/',
      },
    ]);
    expect(glue.partitions.get(JSON.stringify(['issue_state_changes', '2026-02-03']))).toEqual({
      table: 'issue_state_changes',
      values: ['2026-02-03'],
      location: 's3://warehouse-bucket/warehouse/issue_state_changes/dt=2026-02-03/',
    });
    const [firstBatch] = glue.batches() as BatchCreatePartitionCommand[];
    expect(firstBatch!.input.DatabaseName).toBe('error_tracking');
    expect(firstBatch!.input.PartitionInputList![0]!.StorageDescriptor).toEqual({
      ...STORAGE_DESCRIPTOR,
      Location: 's3://warehouse-bucket/warehouse/issues/service=checkout%2Fapi%3A v2/dt=2026-02-03/',
    });

    // Same container: nothing is sent again, and each table was described once.
    expect(await registrar.register(files)).toEqual({ created: 0, existing: 0, cached: 4 });
    expect(glue.batches()).toHaveLength(2);
    expect(glue.commands.filter((command) => command instanceof GetTableCommand)).toHaveLength(2);
  });

  it('treats partitions another container registered as success', async () => {
    const glue = fakeGlue();
    await createPartitionRegistrar(glue.client, TABLES, WAREHOUSE).register([issueFile('web')]);
    const fresh = createPartitionRegistrar(glue.client, TABLES, WAREHOUSE);
    expect(await fresh.register([issueFile('web'), issueFile('api')])).toEqual({
      created: 1,
      existing: 1,
      cached: 0,
    });
    expect(glue.partitions.size).toBe(2);
  });

  it(`sends at most ${MAX_PARTITIONS_PER_REQUEST} partitions per request`, async () => {
    const glue = fakeGlue();
    const files = Array.from({ length: 250 }, (_, index) => issueFile(`service-${index}`));
    const result = await createPartitionRegistrar(glue.client, TABLES, WAREHOUSE).register(files);
    expect(result).toEqual({ created: 250, existing: 0, cached: 0 });
    expect(
      glue
        .batches()
        .map((command) => (command as BatchCreatePartitionCommand).input.PartitionInputList!.length),
    ).toEqual([100, 100, 50]);
  });

  it('throws on other errors and retries only the failed partitions next time', async () => {
    let failing = true;
    const glue = fakeGlue({ failValues: (values) => failing && values[0] === 'api' });
    const registrar = createPartitionRegistrar(glue.client, TABLES, WAREHOUSE);
    const files = [issueFile('web'), issueFile('api')];
    await expect(registrar.register(files)).rejects.toThrow(PartitionRegistrationError);
    await expect(registrar.register(files)).rejects.toThrow(
      /^Glue could not register 1 partition\(s\) of error_tracking.issues, first \["api","2026-02-03"\]: InternalServiceException: try again$/,
    );
    failing = false;
    expect(await registrar.register(files)).toEqual({ created: 1, existing: 0, cached: 1 });
  });
});
