/**
 * The asynchronous side paths: S3 notifications of the originals queued for `precompute` (so a
 * bulk upload runs at most `precompute_max_concurrency` renders at once and can never take the
 * account's concurrency from the transform origin), and the takedown queue feeding `takedown`;
 * both with partial batch failures and a dead-letter queue.
 */
import { Duration } from 'aws-cdk-lib';
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
  readonly queue: sqs.Queue;
  readonly deadLetters: sqs.Queue;

  constructor(
    scope: Construct,
    id: string,
    props: { config: ImgfrontConfig; originals: s3.Bucket; precompute: lambda.Function },
  ) {
    super(scope, id);
    const timeout = props.config.deploy.functions.precompute.timeout_s;
    this.deadLetters = new sqs.Queue(this, 'FailedRenders', {
      ...queueDefaults,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Uploads', {
      ...queueDefaults,
      retentionPeriod: Duration.days(4),
      // Six times the function timeout (AWS's guidance for SQS sources).
      visibilityTimeout: Duration.seconds(6 * timeout),
      // Three tries, then the message waits in the DLQ with the upload it names.
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: 3 },
    });
    const target = new s3n.SqsDestination(this.queue);
    props.originals.addEventNotification(s3.EventType.OBJECT_CREATED, target);
    props.originals.addEventNotification(s3.EventType.OBJECT_REMOVED, target);
    props.precompute.addEventSource(
      new SqsEventSource(this.queue, {
        // One upload per invocation: its renders fit the timeout, and a failure redelivers it alone.
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: props.config.deploy.precompute_max_concurrency,
      }),
    );
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
