/** Scheduled export: resumes from the watermark, stops before the timeout, registers new partitions. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseLambdaConfig } from '../lib/lambda/config';
import { createExportHandler } from '../lib/lambda/handlers';

// Created once per container: a configuration error fails the cold start with its one-line message.
const config = parseLambdaConfig(process.env);

export const handler = createExportHandler({
  config,
  clients: {
    s3: new S3Client({}),
    eventBridge: new EventBridgeClient({}),
    glue: new GlueClient({}),
    secretsManager: new SecretsManagerClient({}),
  },
  logger: new Logger({ serviceName: config.serviceName }),
  metrics: new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName }),
});
