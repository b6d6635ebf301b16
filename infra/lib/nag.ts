/**
 * cdk-nag AwsSolutions acknowledgements, each with the reason the rule does not apply here.
 * Anything not listed fails the synth (and the tests).
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';

import type { buildApp } from './stack.js';

type Stacks = ReturnType<typeof buildApp>;

function ack(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-${id}`, reason });
}

/** The finding id cdk-nag gives `bucket/*` in a policy. */
function objectsOf(bucket: s3.IBucket): string {
  const child = bucket.node.defaultChild as s3.CfnBucket | undefined;
  if (!child) {
    // An imported bucket (the replica, by name): cdk-nag shows its ARN with tokens as <Ref>.
    const arn = Stack.of(bucket).resolve(bucket.arnForObjects('*')) as { 'Fn::Join': [string, unknown[]] };
    const text = arn['Fn::Join'][1]
      .map((part) => (typeof part === 'string' ? part : `<${(part as { Ref: string }).Ref}>`))
      .join('');
    return `IAM5[Resource::${text}]`;
  }
  const logicalId = Stack.of(bucket).getLogicalId(child);
  return `IAM5[Resource::<${logicalId}.Arn>/*]`;
}

export function acknowledge(stacks: Stacks): void {
  const main = stacks.main;
  const storage = main.storage;
  const buckets = [storage.originals, storage.derivatives, storage.audit, ...(main.replica ? [main.replica] : [])];
  for (const fn of [main.functions.transform, main.functions.precompute, main.functions.takedown]) {
    const role = fn.role;
    if (!role) continue;
    for (const bucket of buckets) {
      ack(
        role,
        objectsOf(bucket),
        'Object-level S3 actions need the bucket/* ARN; each statement names one bucket and exact actions',
      );
    }
  }
  if (main.replica) {
    for (const bucket of [storage.originals, main.replica]) {
      ack(storage.originals, objectsOf(bucket), 'S3 replication needs object-level actions on the source and replica buckets, and only those two');
    }
  }
  ack(
    main,
    'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'The AWS-managed basic execution policy grants only CloudWatch Logs writes, to the functions and the S3 notification custom resource',
  );
  ack(
    main.node.findChild('PrecomputeWiring').node.findChild('FailedRenders'),
    'SQS3',
    'This queue is itself the on-failure destination of precompute\'s asynchronous invokes; it needs no DLQ of its own',
  );
  const distribution = main.delivery.distribution;
  ack(distribution, 'CFR1', 'Images are served worldwide; tenants needing geo restrictions add them per deployment');
  if (!main.delivery.hasCustomDomain) {
    ack(
      distribution,
      'CFR4',
      'Without deploy.domain the distribution uses the default *.cloudfront.net certificate, whose TLS floor CloudFront fixes; TLSv1.2_2021 applies once a domain is set',
    );
  }
}
