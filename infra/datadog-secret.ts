import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface DatadogSecretProps {
  /**
   * Complete ARN (with the 6-character suffix) of an existing secret that holds
   * `{"DD_API_KEY": "...", "DD_APP_KEY": "..."}`. It must use the AWS managed key `aws/secretsmanager`,
   * or the function also needs `kms:Decrypt` on its key.
   * @default - a new secret with empty keys, to be filled with `aws secretsmanager put-secret-value`
   */
  readonly existingSecretArn?: string;
}

/** The Datadog API and application keys, as one JSON secret. */
export class DatadogSecret extends Construct {
  readonly secret: ISecret;

  constructor(scope: Construct, id: string, props: DatadogSecretProps = {}) {
    super(scope, id);
    if (props.existingSecretArn !== undefined) {
      this.secret = Secret.fromSecretCompleteArn(this, 'Imported', props.existingSecretArn);
      return;
    }
    const secret = new Secret(this, 'Secret', {
      description: 'Datadog API and application keys for error-tracking-export: {"DD_API_KEY","DD_APP_KEY"}',
      // Empty values keep real keys out of the template; CloudFormation leaves later put-secret-value
      // writes alone as long as this template value does not change.
      secretObjectValue: {
        DD_API_KEY: SecretValue.unsafePlainText(''),
        DD_APP_KEY: SecretValue.unsafePlainText(''),
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Datadog keys are issued and revoked in Datadog; AWS cannot rotate them, so rotate by put-secret-value.',
    });
    this.secret = secret;
  }
}
