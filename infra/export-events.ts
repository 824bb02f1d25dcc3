import { Stack } from 'aws-cdk-lib';
import { EventBus, type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { NotificationKey } from './encrypted-topic';

export interface ExportEventsProps {
  /** Key that encrypts the regression topic. */
  readonly notificationKey: NotificationKey;
  /**
   * Publish to the account's default event bus instead of a dedicated one.
   * @default false
   */
  readonly useDefaultBus?: boolean;
  /**
   * Name of the dedicated event bus (ignored with `useDefaultBus`).
   * @default 'error-tracking-export'
   */
  readonly eventBusName?: string;
  /**
   * `source` of the events the exporter publishes.
   * @default 'error-tracking-export'
   */
  readonly eventSource?: string;
}

/** Where issue state changes are published, with an example rule that sends regressions to SNS. */
export class ExportEvents extends Construct {
  readonly eventBus: IEventBus;
  readonly eventSource: string;
  /** Receives `Issue Regressed` events; subscribe people or tools to it. */
  readonly regressionTopic: Topic;

  constructor(scope: Construct, id: string, props: ExportEventsProps) {
    super(scope, id);
    this.eventSource = props.eventSource ?? 'error-tracking-export';
    this.eventBus = props.useDefaultBus
      ? EventBus.fromEventBusArn(
          this,
          'DefaultBus',
          Stack.of(this).formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' }),
        )
      : new EventBus(this, 'Bus', { eventBusName: props.eventBusName ?? 'error-tracking-export' });

    this.regressionTopic = props.notificationKey.createTopic(
      this,
      'RegressionTopic',
      'Error tracking regressions',
    );
    const rule = new Rule(this, 'RegressionRule', {
      eventBus: this.eventBus,
      description: 'Example: forwards issue regressions found by the exporter to SNS',
      eventPattern: { source: [this.eventSource], detailType: ['Issue Regressed'] },
    });
    rule.addTarget(new SnsTopic(this.regressionTopic));
    // The target grants the topic policy; EventBridge also needs the key to encrypt what it publishes.
    props.notificationKey.key.grant(
      new ServicePrincipal('events.amazonaws.com'),
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    );
  }

  /** The `EVENTS_TARGET` value the exporter reads: `eventbridge:<bus-arn>`. */
  get eventsTarget(): string {
    return `eventbridge:${this.eventBus.eventBusArn}`;
  }
}
