/**
 * Storage: the originals (versioned, optionally replicated to a second region), the derivatives
 * (expiring no sooner than the edge may cache them), the write-once audit trail and the access
 * logs every other bucket writes to.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

import type { ImgfrontConfig } from './config.js';

export interface StorageProps {
  config: ImgfrontConfig;
  /** The bucket in the replica region, when Cross-Region Replication is configured. */
  replica?: s3.IBucket;
}

const secure = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  encryption: s3.BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  removalPolicy: RemovalPolicy.RETAIN,
} as const;

/** Days a derivative lives: one day more than the longest time the edge may cache it. */
export function derivativeExpiryDays(config: ImgfrontConfig): number {
  return Math.ceil(config.cache.max_age / 86_400) + 1;
}

export class Storage extends Construct {
  readonly logs: s3.Bucket;
  readonly originals: s3.Bucket;
  readonly derivatives: s3.Bucket;
  readonly audit: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const { config } = props;

    this.logs = new s3.Bucket(this, 'Logs', {
      ...secure,
      // CloudFront standard logs are delivered with ACLs.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });

    this.originals = new s3.Bucket(this, 'Originals', {
      ...secure,
      versioned: true,
      serverAccessLogsBucket: this.logs,
      serverAccessLogsPrefix: 'originals/',
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
      replicationRules: props.replica
        ? [{ destination: props.replica, priority: 0, deleteMarkerReplication: true }]
        : undefined,
    });

    this.derivatives = new s3.Bucket(this, 'Derivatives', {
      ...secure,
      serverAccessLogsBucket: this.logs,
      serverAccessLogsPrefix: 'derivatives/',
      lifecycleRules: [{ expiration: Duration.days(derivativeExpiryDays(config)) }],
    });

    this.audit = new s3.Bucket(this, 'Audit', {
      ...secure,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(
        Duration.days(config.deploy.audit_retention_days),
      ),
      serverAccessLogsBucket: this.logs,
      serverAccessLogsPrefix: 'audit/',
    });
  }
}

/** The replica originals bucket, created by a stack in the replica region. */
export class Replica extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, bucketName: string) {
    super(scope, id);
    const logs = new s3.Bucket(this, 'ReplicaLogs', {
      ...secure,
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
    this.bucket = new s3.Bucket(this, 'Originals', {
      ...secure,
      bucketName,
      versioned: true,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'replica/',
    });
  }
}
