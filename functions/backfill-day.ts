/** Backfill Map item: exports one `{from, to}` day without touching the watermark or emitting events. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseLambdaConfig } from '../lib/lambda/config';
import { createBackfillDayHandler } from '../lib/lambda/handlers';

// Created once per container: a configuration error fails the cold start with its one-line message.
const config = parseLambdaConfig(process.env);

export const handler = createBackfillDayHandler({
  config,
  clients: {
    s3: new S3Client({}),
    glue: new GlueClient({}),
    secretsManager: new SecretsManagerClient({}),
  },
  logger: new Logger({ serviceName: config.serviceName }),
  metrics: new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName }),
});
