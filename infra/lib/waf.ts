/**
 * WAF for the distribution (scope CLOUDFRONT, so it must live in us-east-1): AWS managed rule
 * sets, a per-IP rate limit, and a Referer allowlist per tenant against hotlinking.
 */
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

import type { ImgfrontConfig } from './config.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `acme.example` and `*.acme.example` as one anchored regex over the Referer's origin. */
export function refererRegex(patterns: string[]): string {
  const hosts = patterns.map((p) =>
    p.startsWith('*.') ? `([a-z0-9-]+\\.)+${escape(p.slice(2).toLowerCase())}` : escape(p.toLowerCase()),
  );
  return `^https?://(${hosts.join('|')})(:[0-9]+)?(/|$)`;
}

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
    const referer = { singleHeader: { Name: 'referer' } };
    const lower = [{ priority: 0, type: 'LOWERCASE' }];
    config.tenants
      .filter((t) => t.allowed_referers.length > 0)
      .forEach((tenant, i) => {
        const name = `Referer-${tenant.id}`;
        rules.push({
          name,
          priority: 10 + i,
          action: { block: { customResponse: { responseCode: 403 } } },
          statement: {
            andStatement: {
              statements: [
                {
                  byteMatchStatement: {
                    fieldToMatch: { uriPath: {} },
                    positionalConstraint: 'STARTS_WITH',
                    searchString: `/${tenant.id}/`,
                    textTransformations: [{ priority: 0, type: 'NONE' }],
                  },
                },
                // Requests without a Referer (privacy settings, direct visits) pass.
                {
                  sizeConstraintStatement: {
                    fieldToMatch: referer,
                    comparisonOperator: 'GT',
                    size: 0,
                    textTransformations: [{ priority: 0, type: 'NONE' }],
                  },
                },
                {
                  notStatement: {
                    statement: {
                      regexMatchStatement: {
                        fieldToMatch: referer,
                        regexString: refererRegex(tenant.allowed_referers),
                        textTransformations: lower,
                      },
                    },
                  },
                },
              ],
            },
          },
          visibilityConfig: visibility(name),
        });
      });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('imgfront'),
      rules,
    });
  }
}
