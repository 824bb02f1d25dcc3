import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/**
 * The customer managed key for this stack's SNS topics. The AWS managed `aws/sns` key cannot be used:
 * its key policy cannot grant EventBridge and CloudWatch, which publish to the topics.
 */
export class NotificationKey extends Construct {
  readonly key: Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: 'Encrypts the error-tracking-export notification and alarm topics',
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /** A topic encrypted with this key that refuses non-TLS publishers and subscribers. */
  createTopic(scope: Construct, id: string, displayName: string): Topic {
    return new Topic(scope, id, { displayName, masterKey: this.key, enforceSSL: true });
  }
}
