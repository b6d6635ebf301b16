/**
 * WAF for the distribution (scope CLOUDFRONT, so it must live in us-east-1): AWS managed rule
 * sets and a per-IP rate limit. Tenants' Referer allowlists are enforced by the viewer function
 * instead, on every request (cache hits too) and on the decoded path, for every tenant in the
 * KeyValueStore: a per-tenant WAF rule would match the raw URI (so `/%61cme/` slipped past it),
 * cost WCUs per tenant and know only the tenants of the last deploy.
 */
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

import type { ImgfrontConfig } from './config.js';

const visibility = (name: string) => ({
  cloudWatchMetricsEnabled: true,
  metricName: name,
  sampledRequestsEnabled: true,
});

export class Waf extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: { config: ImgfrontConfig }) {
    super(scope, id);
    const { config } = props;
    const managed = (name: string, priority: number): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: visibility(name),
    });
    const rules: wafv2.CfnWebACL.RuleProperty[] = [
      managed('AWSManagedRulesAmazonIpReputationList', 0),
      managed('AWSManagedRulesCommonRuleSet', 1),
      managed('AWSManagedRulesKnownBadInputsRuleSet', 2),
      {
        name: 'RatePerIp',
        priority: 3,
        action: { block: {} },
        statement: { rateBasedStatement: { limit: config.deploy.waf_rate_limit, aggregateKeyType: 'IP' } },
        visibilityConfig: visibility('RatePerIp'),
      },
    ];
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('imgfront'),
      rules,
    });
  }
}
