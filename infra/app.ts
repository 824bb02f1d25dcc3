import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stackPropsFromContext } from './context';
import { ErrorTrackingExportStack } from './stack';

const app = new App();
new ErrorTrackingExportStack(app, 'ErrorTrackingExport', {
  ...stackPropsFromContext((key) => app.node.tryGetContext(key)),
  description: 'error-tracking-export: Datadog Error Tracking issues into a Parquet warehouse on S3',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
// cdk-nag 3 runs as a policy-validation plugin: any unacknowledged finding fails `cdk synth`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
