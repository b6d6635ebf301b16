/**
 * The imgfront stacks. `ImgfrontStack` holds the production path in the chosen region. WAF for
 * CloudFront and the alarm on CloudFront's own metrics must live in us-east-1: when the main
 * stack is elsewhere they go to `ImgfrontEdge` (before) and `ImgfrontEdgeAlarms` (after), and
 * the replica bucket to `ImgfrontReplica` in the replica region.
 */
import { App, Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

import { checkConfig, configJson, loadConfig, type ImgfrontConfig } from './config.js';
import { Delivery } from './delivery.js';
import { Functions } from './functions.js';
import { EdgeAlarms, Observability } from './observability.js';
import { Replica, Storage } from './storage.js';
import { Waf } from './waf.js';
import { PrecomputeWiring, TakedownWiring } from './wiring.js';

export interface ImgfrontStackProps extends StackProps {
  config: ImgfrontConfig;
  /** WAF web ACL ARN from the us-east-1 edge stack; created here when this stack is there. */
  webAclArn?: string;
  /** Region of the Cross-Region Replication copy of the originals (its stack deploys first). */
  replicaRegion?: string;
}

/** The config the Lambdas get: imgfront.json without its deploy section. */
function lambdaConfig(): string {
  const { deploy: _deploy, ...rest } = JSON.parse(configJson()) as Record<string, unknown>;
  return JSON.stringify(rest);
}

export class ImgfrontStack extends Stack {
  readonly storage: Storage;
  readonly functions: Functions;
  readonly delivery: Delivery;
  readonly replica?: s3.IBucket;

  constructor(scope: Construct, id: string, props: ImgfrontStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.replica = props.replicaRegion
      ? s3.Bucket.fromBucketName(this, 'Replica', replicaBucketName(props.replicaRegion))
      : undefined;
    this.storage = new Storage(this, 'Storage', { config, replica: this.replica });
    this.functions = new Functions(this, 'Functions', {
      config,
      configJson: lambdaConfig(),
      storage: this.storage,
      replica: this.replica,
      replicaRegion: props.replicaRegion,
    });
    let webAclArn = props.webAclArn;
    if (!webAclArn && this.region === 'us-east-1') {
      webAclArn = new Waf(this, 'Waf', { config }).webAcl.attrArn;
    }
    this.delivery = new Delivery(this, 'Delivery', {
      config,
      storage: this.storage,
      transform: this.functions.transform,
      webAclArn,
    });
    const distribution = this.delivery.distribution;
    this.functions.allowInvalidation(distribution.distributionArn, distribution.distributionId);

    const precompute = new PrecomputeWiring(this, 'PrecomputeWiring', {
      config,
      originals: this.storage.originals,
      precompute: this.functions.precompute,
    });
    const takedown = new TakedownWiring(this, 'TakedownWiring', { config, takedown: this.functions.takedown });
    const observability = new Observability(this, 'Observability', {
      functions: [this.functions.transform, this.functions.precompute, this.functions.takedown],
      deadLetterQueues: [precompute.deadLetters, takedown.deadLetters],
      distributionId: distribution.distributionId,
      takedownLogs: this.functions.logGroups.Takedown,
      alarmEmails: config.deploy.alarm_emails,
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: observability.topic.topicArn });
    if (this.region === 'us-east-1') {
      const edgeAlarms = new EdgeAlarms(this, 'EdgeAlarms', {
        distributionId: distribution.distributionId,
        alarmEmails: config.deploy.alarm_emails,
      });
      new CfnOutput(this, 'EdgeAlarmTopicArn', { value: edgeAlarms.topic.topicArn });
    }

    new CfnOutput(this, 'DistributionDomain', { value: distribution.distributionDomainName });
    new CfnOutput(this, 'DistributionId', { value: distribution.distributionId });
    new CfnOutput(this, 'OriginalsBucket', { value: this.storage.originals.bucketName });
    new CfnOutput(this, 'DerivativesBucket', { value: this.storage.derivatives.bucketName });
    new CfnOutput(this, 'AuditBucket', { value: this.storage.audit.bucketName });
    new CfnOutput(this, 'TakedownQueueUrl', { value: takedown.queue.queueUrl });
    new CfnOutput(this, 'KeyValueStoreArn', { value: this.delivery.keyValueStore.keyValueStoreArn });
    new CfnOutput(this, 'TransformFunctionUrl', { value: this.delivery.functionUrl.url });
  }
}

export class EdgeStack extends Stack {
  readonly waf: Waf;
  constructor(scope: Construct, id: string, props: StackProps & { config: ImgfrontConfig }) {
    super(scope, id, props);
    this.waf = new Waf(this, 'Waf', { config: props.config });
  }
}

export class EdgeAlarmsStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & { distributionId: string; alarmEmails: string[] }) {
    super(scope, id, props);
    const edgeAlarms = new EdgeAlarms(this, 'EdgeAlarms', { distributionId: props.distributionId, alarmEmails: props.alarmEmails });
    new CfnOutput(this, 'EdgeAlarmTopicArn', { value: edgeAlarms.topic.topicArn });
  }
}

/** The replica's name is fixed, so the main stack can name it without a cross-region export. */
export function replicaBucketName(region: string): string {
  return `imgfront-replica-${Aws.ACCOUNT_ID}-${region}`;
}

export class ReplicaStack extends Stack {
  readonly bucket: s3.Bucket;
  constructor(scope: Construct, id: string, props: StackProps & { region: string }) {
    super(scope, id, props);
    this.bucket = new Replica(this, 'Replica', replicaBucketName(props.region)).bucket;
  }
}

/** Builds every stack the configuration calls for into `app`. */
export function buildApp(app: App, options: { account?: string; region: string; config?: ImgfrontConfig }) {
  const config = checkConfig(options.config ?? loadConfig());
  const env = (region: string) => ({ account: options.account, region });
  const crossRegion = options.region !== 'us-east-1' || config.deploy.replica_region !== null;
  const edge =
    options.region === 'us-east-1'
      ? undefined
      : new EdgeStack(app, 'ImgfrontEdge', { env: env('us-east-1'), config, crossRegionReferences: true });
  const replica = config.deploy.replica_region
    ? new ReplicaStack(app, 'ImgfrontReplica', {
        env: env(config.deploy.replica_region),
        region: config.deploy.replica_region,
      })
    : undefined;
  const main = new ImgfrontStack(app, 'Imgfront', {
    env: env(options.region),
    config,
    webAclArn: edge?.waf.webAcl.attrArn,
    replicaRegion: config.deploy.replica_region ?? undefined,
    crossRegionReferences: crossRegion,
  });
  if (replica) main.addDependency(replica);
  const alarms = edge
    ? new EdgeAlarmsStack(app, 'ImgfrontEdgeAlarms', {
        env: env('us-east-1'),
        distributionId: main.delivery.distribution.distributionId,
        alarmEmails: config.deploy.alarm_emails,
        crossRegionReferences: true,
      })
    : undefined;
  return { main, edge, replica, alarms };
}
