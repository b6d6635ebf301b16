/**
 * The three Rust Lambdas (cargo-lambda-cdk): arm64 on provided.al2023, sized from the config,
 * with log retention and least-privilege access to exactly the buckets each one needs.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { RustFunction } from 'cargo-lambda-cdk';
import { Construct } from 'constructs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { REPO_ROOT, type FunctionSettings, type ImgfrontConfig } from './config.js';
import type { Storage } from './storage.js';

export interface FunctionsProps {
  config: ImgfrontConfig;
  /** imgfront.json without its deploy section, passed as IMGFRONT_CONFIG. */
  configJson: string;
  storage: Storage;
  replica?: s3.IBucket;
  replicaRegion?: string;
}

/** Log retention in days, rounded up to a value CloudWatch Logs accepts. */
export function retention(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays)
    .filter((v): v is number => typeof v === 'number' && v > 0)
    .sort((a, b) => a - b);
  return (allowed.find((d) => d >= days) ?? logs.RetentionDays.INFINITE) as logs.RetentionDays;
}

/**
 * Bundling needs cargo-lambda on PATH. Without it cargo-lambda-cdk falls back to Docker, whose
 * container mounts only the function's folder and cannot see the workspace, so the build fails
 * late and obscurely (or hangs where no Docker engine runs): fail at once, saying what to do.
 */
export function requireCargoLambda(): void {
  // The probe cargo-lambda-cdk itself runs before it falls back to Docker.
  const probe = spawnSync('cargo', ['lambda', '--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'cargo-lambda is not on PATH, and bundling the Rust functions needs it (Docker cannot see the ' +
        'workspace). Run scripts/setup, then put .venv/bin on PATH (`just synth` and `just deploy` do), ' +
        'or install cargo-lambda yourself.',
    );
  }
}

export class Functions extends Construct {
  readonly transform: RustFunction;
  readonly precompute: RustFunction;
  readonly takedown: RustFunction;
  readonly logGroups: Record<'Transform' | 'Precompute' | 'Takedown', logs.LogGroup> = {} as never;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    if (Stack.of(this).bundlingRequired) requireCargoLambda();
    const { config, storage } = props;
    const common = {
      IMGFRONT_CONFIG: props.configJson,
      ORIGINALS_BUCKET: storage.originals.bucketName,
      DERIVATIVES_BUCKET: storage.derivatives.bucketName,
      RUST_LOG: 'info',
    };
    const make = (name: 'Transform' | 'Precompute' | 'Takedown', settings: FunctionSettings, env: Record<string, string>) => {
      const logGroup = new logs.LogGroup(this, `${name}Logs`, {
        retention: retention(config.deploy.log_retention_days),
      });
      this.logGroups[name] = logGroup;
      return new RustFunction(this, name, {
        manifestPath: join(REPO_ROOT, 'functions', name.toLowerCase(), 'Cargo.toml'),
        binaryName: name.toLowerCase(),
        runtime: 'provided.al2023',
        architecture: lambda.Architecture.ARM_64,
        memorySize: settings.memory_mb,
        timeout: Duration.seconds(settings.timeout_s),
        environment: { ...common, ...env },
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
      });
    };

    const allow = (fn: RustFunction, actions: string[], resources: string[]) =>
      fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources }));
    const objects = (b: s3.IBucket) => b.arnForObjects('*');

    // transform: read originals (ListBucket turns a missing key into 404, not 403), write derivatives.
    this.transform = make('Transform', config.deploy.functions.transform, {});
    // Kept for the transform origin alone when configured: nothing else in the account can take these.
    if (config.deploy.transform_reserved_concurrency !== null) {
      (this.transform.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions =
        config.deploy.transform_reserved_concurrency;
    }
    allow(this.transform, ['s3:GetObject'], [objects(storage.originals)]);
    allow(this.transform, ['s3:ListBucket'], [storage.originals.bucketArn]);
    allow(this.transform, ['s3:PutObject'], [objects(storage.derivatives)]);

    // precompute: read originals, write, check and delete derivatives.
    this.precompute = make('Precompute', config.deploy.functions.precompute, {});
    allow(this.precompute, ['s3:GetObject'], [objects(storage.originals)]);
    allow(this.precompute, ['s3:ListBucket'], [storage.originals.bucketArn, storage.derivatives.bucketArn]);
    allow(this.precompute, ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [objects(storage.derivatives)]);

    // takedown: delete every version everywhere, write the audit trail.
    this.takedown = make('Takedown', config.deploy.functions.takedown, {
      AUDIT_BUCKET: storage.audit.bucketName,
      // Known from this app, so takedown never probes GetBucketVersioning.
      ORIGINALS_VERSIONED: 'true',
      DERIVATIVES_VERSIONED: 'false',
      ...(props.replica
        ? {
            REPLICA_BUCKET: props.replica.bucketName,
            REPLICA_VERSIONED: 'true',
            ...(props.replicaRegion ? { REPLICA_REGION: props.replicaRegion } : {}),
          }
        : {}),
    });
    for (const bucket of [storage.originals, storage.derivatives, ...(props.replica ? [props.replica] : [])]) {
      allow(this.takedown, ['s3:ListBucket', 's3:ListBucketVersions', 's3:GetBucketVersioning'], [bucket.bucketArn]);
      allow(this.takedown, ['s3:DeleteObject', 's3:DeleteObjectVersion'], [objects(bucket)]);
    }
    allow(this.takedown, ['s3:ListBucket'], [storage.audit.bucketArn]);
    allow(this.takedown, ['s3:GetObject', 's3:PutObject'], [objects(storage.audit)]);
  }

  /** Called once the distribution exists: takedown may invalidate it, and only it. */
  allowInvalidation(distributionArn: string, distributionId: string): void {
    this.takedown.addEnvironment('DISTRIBUTION_ID', distributionId);
    this.takedown.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation'],
        resources: [distributionArn],
      }),
    );
  }
}
