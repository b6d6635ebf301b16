/**
 * Observability: alarms on Lambda errors and throttles and on dead-letter depth (to one SNS
 * topic), and a dashboard with transform latency from the functions' EMF metrics, the edge hit
 * ratio and invalidations. CloudFront's own metrics live in us-east-1; see `EdgeAlarms`.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface ObservabilityProps {
  functions: lambda.Function[];
  deadLetterQueues: sqs.Queue[];
  distributionId: string;
  /** The takedown function's JSON logs: one `takedown` line per request, with its path count. */
  takedownLogs: logs.ILogGroup;
  alarmEmails: string[];
}

/** CloudFront publishes in us-east-1 with Region=Global. */
export function cloudFrontMetric(distributionId: string, metricName: string, statistic = 'Average') {
  return new cloudwatch.Metric({
    namespace: 'AWS/CloudFront',
    metricName,
    dimensionsMap: { DistributionId: distributionId, Region: 'Global' },
    statistic,
    period: Duration.minutes(5),
    region: 'us-east-1',
  });
}

/** An alarm topic that reaches a person: every address in `deploy.alarm_emails` subscribes. */
export function alarmTopic(scope: Construct, id: string, emails: string[]): sns.Topic {
  const topic = new sns.Topic(scope, id, { displayName: 'imgfront alarms', enforceSSL: true });
  for (const email of emails) topic.addSubscription(new subscriptions.EmailSubscription(email));
  return topic;
}

export class Observability extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.topic = alarmTopic(this, 'Alarms', props.alarmEmails);
    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number) => {
      const a = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(new actions.SnsAction(this.topic));
      this.alarms.push(a);
    };
    for (const fn of props.functions) {
      const name = fn.node.id;
      alarm(`${name}Errors`, fn.metricErrors({ period: Duration.minutes(5) }), 5);
      alarm(`${name}Throttles`, fn.metricThrottles({ period: Duration.minutes(5) }), 1);
    }
    for (const q of props.deadLetterQueues) {
      alarm(`${q.node.id}Depth`, q.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }), 1);
    }

    const takedownLine = logs.FilterPattern.stringValue('$.fields.message', '=', 'takedown');
    const invalidated = new logs.MetricFilter(this, 'InvalidatedPaths', {
      logGroup: props.takedownLogs,
      filterPattern: takedownLine,
      metricNamespace: 'imgfront',
      metricName: 'invalidated_paths',
      metricValue: '$.fields.paths',
    }).metric({ statistic: 'Sum', period: Duration.minutes(5) });
    const takedowns = new logs.MetricFilter(this, 'Takedowns', {
      logGroup: props.takedownLogs,
      filterPattern: takedownLine,
      metricNamespace: 'imgfront',
      metricName: 'takedowns',
      metricValue: '1',
    }).metric({ statistic: 'Sum', period: Duration.minutes(5) });

    const latency = (stat: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{imgfront,format,status} MetricName="transform_ms"', '${stat}', 300)`,
        label: `transform ${stat}`,
        period: Duration.minutes(5),
      });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard');
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Transform latency (ms, EMF)', left: [latency('p50'), latency('p99')], width: 12 }),
      new cloudwatch.GraphWidget({
        title: 'Edge cache hit ratio (%)',
        left: [cloudFrontMetric(props.distributionId, 'CacheHitRate')],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'CloudFront 4xx/5xx error rate (%)',
        left: [
          cloudFrontMetric(props.distributionId, '4xxErrorRate'),
          cloudFrontMetric(props.distributionId, '5xxErrorRate'),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Lambda invocations and errors',
        left: props.functions.map((f) => f.metricInvocations({ period: Duration.minutes(5) })),
        right: props.functions.map((f) => f.metricErrors({ period: Duration.minutes(5) })),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Takedowns and invalidated paths',
        left: [takedowns],
        right: [invalidated],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter depth',
        left: props.deadLetterQueues.map((q) => q.metricApproximateNumberOfMessagesVisible()),
        width: 12,
      }),
    );
  }
}

/** The CloudFront 5xx alarm, which must be evaluated in us-east-1 where the metric lives. */
export class EdgeAlarms extends Construct {
  readonly alarm: cloudwatch.Alarm;
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: { distributionId: string; alarmEmails: string[] }) {
    super(scope, id);
    const topic = alarmTopic(this, 'EdgeAlarmTopic', props.alarmEmails);
    this.topic = topic;
    this.alarm = new cloudwatch.Alarm(this, 'Edge5xxRate', {
      metric: cloudFrontMetric(props.distributionId, '5xxErrorRate').with({ region: undefined }),
      threshold: 1,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: 'More than 1% of CloudFront responses are 5xx for 15 minutes',
    });
    this.alarm.addAlarmAction(new actions.SnsAction(topic));
  }
}
