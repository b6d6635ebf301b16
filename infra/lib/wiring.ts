/**
 * The asynchronous side paths: S3 notifications of the originals to `precompute` (with retries
 * and an on-failure DLQ), and the takedown queue feeding `takedown` with partial batch failures.
 */
import { Duration } from 'aws-cdk-lib';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

import type { ImgfrontConfig } from './config.js';

const queueDefaults = {
  encryption: sqs.QueueEncryption.SQS_MANAGED,
  enforceSSL: true,
} as const;

export class PrecomputeWiring extends Construct {
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: { originals: s3.Bucket; precompute: lambda.Function }) {
    super(scope, id);
    this.deadLetters = new sqs.Queue(this, 'FailedRenders', {
      ...queueDefaults,
      retentionPeriod: Duration.days(14),
    });
    // Asynchronous invokes retry twice, then land here with the event and the error.
    props.precompute.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.deadLetters),
    });
    const target = new s3n.LambdaDestination(props.precompute);
    props.originals.addEventNotification(s3.EventType.OBJECT_CREATED, target);
    props.originals.addEventNotification(s3.EventType.OBJECT_REMOVED, target);
  }
}

export class TakedownWiring extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: { config: ImgfrontConfig; takedown: lambda.Function }) {
    super(scope, id);
    const timeout = props.config.deploy.functions.takedown.timeout_s;
    this.deadLetters = new sqs.Queue(this, 'TakedownDlq', {
      ...queueDefaults,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Takedowns', {
      ...queueDefaults,
      retentionPeriod: Duration.days(14),
      // At least six times the function timeout (AWS's guidance for SQS sources), and long
      // enough for a throttled invalidation (~1 minute) to clear before the redelivery.
      visibilityTimeout: Duration.seconds(Math.max(6 * timeout, 180)),
      // A throttled request is redelivered up to 20 times (over an hour) before the DLQ.
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: 20 },
    });
    props.takedown.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(5),
        reportBatchItemFailures: true,
        maxConcurrency: 2,
      }),
    );
  }
}
