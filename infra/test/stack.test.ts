/**
 * The synthesized production path, property by property (every setting docs/deploy.md
 * describes), a snapshot of the template, cdk-nag with zero unacknowledged findings (synth throws
 * otherwise) and cfn-lint with zero errors on every template.
 */
import { App } from 'aws-cdk-lib';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { ORIGIN_SHIELD_REGIONS, REPO_ROOT, SHIELD_FOR, loadConfig, originShieldRegion } from '../lib/config.js';
import { FAILOVER_CODES } from '../lib/delivery.js';
import { buildApp } from '../lib/stack.js';
import { derivativeExpiryDays } from '../lib/storage.js';
import { registryEntries } from '../lib/tenant-registry.js';
import { ENGINES, event, isResponse, run, summary } from './cff-harness.js';
import { synth } from './synth.js';

type Synth = ReturnType<typeof synth>;
let us: Synth;

beforeAll(() => {
  us = synth('us-east-1');
});

const resources = (s: Synth, type: string) => s.template.findResources(type);
const only = (s: Synth, type: string) => {
  const all = Object.values(resources(s, type));
  expect(all).toHaveLength(1);
  return all[0].Properties;
};
const distributionConfig = (s: Synth) => only(s, 'AWS::CloudFront::Distribution').DistributionConfig;

describe('delivery', () => {
  it('keys the cache on the path only, with TTLs from the config and no compression', () => {
    const policies = Object.values(resources(us, 'AWS::CloudFront::CachePolicy')).map(
      (r) => r.Properties.CachePolicyConfig,
    );
    const main = policies.find((p) => p.MaxTTL === us.config.cache.max_age);
    expect(main).toBeDefined();
    const keys = main.ParametersInCacheKeyAndForwardedToOrigin;
    expect(keys.QueryStringsConfig.QueryStringBehavior).toBe('none');
    expect(keys.HeadersConfig.HeaderBehavior).toBe('none');
    expect(keys.CookiesConfig.CookieBehavior).toBe('none');
    expect(keys.EnableAcceptEncodingGzip).toBe(false);
    expect(keys.EnableAcceptEncodingBrotli).toBe(false);
    expect(main.DefaultTTL).toBe(us.config.cache.max_age);
    const short = policies.find((p) => p.MaxTTL === 60);
    expect(short?.ParametersInCacheKeyAndForwardedToOrigin.QueryStringsConfig.QueryStringBehavior).toBe('none');
  });

  it('fails over from the derivatives bucket to the transform Function URL, both via OAC and Origin Shield', () => {
    const dc = distributionConfig(us);
    const group = dc.OriginGroups.Items[0];
    expect(group.FailoverCriteria.StatusCodes.Items.sort()).toEqual([...FAILOVER_CODES].sort());
    expect(group.Members.Items).toHaveLength(2);
    const [primaryId, fallbackId] = group.Members.Items.map((m: { OriginId: string }) => m.OriginId);
    const byId = Object.fromEntries(dc.Origins.map((o: { Id: string }) => [o.Id, o]));
    expect(JSON.stringify(byId[primaryId].DomainName)).toContain('Derivatives');
    expect(JSON.stringify(byId[fallbackId].DomainName)).toContain('TransformFunctionUrl');
    for (const origin of [byId[primaryId], byId[fallbackId]]) {
      expect(origin.OriginShield).toEqual({ Enabled: true, OriginShieldRegion: 'us-east-1' });
      expect(origin.OriginAccessControlId).toBeDefined();
    }
    const oacs = Object.values(resources(us, 'AWS::CloudFront::OriginAccessControl')).map(
      (r) => r.Properties.OriginAccessControlConfig.OriginAccessControlOriginType,
    );
    expect(oacs.sort()).toEqual(['lambda', 's3']);
  });

  it('serves the Function URL with IAM auth and streaming, invokable by this distribution only', () => {
    us.template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', InvokeMode: 'RESPONSE_STREAM' });
    const fromCloudFront = Object.values(resources(us, 'AWS::Lambda::Permission'))
      .map((p) => p.Properties)
      .filter((p) => p.Principal === 'cloudfront.amazonaws.com');
    // One of each, both from the OAC origin: InvokeFunction only through the Function URL.
    expect(fromCloudFront.map((p) => p.Action).sort()).toEqual(['lambda:InvokeFunction', 'lambda:InvokeFunctionUrl']);
    expect(fromCloudFront.find((p) => p.Action === 'lambda:InvokeFunction').InvokedViaFunctionUrl).toBe(true);
    for (const p of fromCloudFront) expect(JSON.stringify(p.SourceArn)).toContain('DeliveryDistribution');
  });

  it('creates the KeyValueStore holding the tenant registry, and never a signing secret', () => {
    const store = only(us, 'AWS::CloudFront::KeyValueStore');
    expect(store.ImportSource.SourceType).toBe('S3');
    const json = JSON.stringify(us.template.toJSON());
    expect(json).not.toContain('sig:acme"');
  });

  it('runs the generated viewer-request function with its KeyValueStore on every behavior', () => {
    const fn = only(us, 'AWS::CloudFront::Function');
    expect(fn.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    expect(fn.FunctionConfig.KeyValueStoreAssociations).toHaveLength(1);
    expect(fn.FunctionCode).toContain('async function handler');
    const dc = distributionConfig(us);
    for (const b of [dc.DefaultCacheBehavior, ...(dc.CacheBehaviors ?? [])]) {
      expect(b.FunctionAssociations[0].EventType).toBe('viewer-request');
      expect(b.Compress).toBe(false);
      expect(b.ViewerProtocolPolicy).toBe('redirect-to-https');
    }
    expect(dc.CacheBehaviors.map((b: { PathPattern: string }) => b.PathPattern)).toEqual(
      us.config.deploy.short_ttl_paths,
    );
  });

  it('has HTTP/2+3, logging, WAF, a response headers policy with CORS and security headers', () => {
    const dc = distributionConfig(us);
    expect(dc.HttpVersion).toBe('http2and3');
    expect(dc.Logging.Prefix).toBe('cloudfront/');
    expect(dc.WebACLId).toBeDefined();
    expect(dc.PriceClass).toBe(us.config.deploy.price_class);
    const headers = only(us, 'AWS::CloudFront::ResponseHeadersPolicy').ResponseHeadersPolicyConfig;
    expect(headers.CorsConfig.AccessControlAllowOrigins.Items).toEqual(us.config.deploy.cors_allowed_origins);
    expect(headers.SecurityHeadersConfig.StrictTransportSecurity.Override).toBe(true);
    expect(headers.SecurityHeadersConfig.ContentTypeOptions.Override).toBe(true);
    // fmt=auto answers one URL by Accept, so every response tells downstream caches so.
    expect(headers.CustomHeadersConfig.Items).toEqual([{ Header: 'Vary', Value: 'Accept', Override: true }]);
    // The policy is on every behavior.
    for (const b of [dc.DefaultCacheBehavior, ...(dc.CacheBehaviors ?? [])]) expect(b.ResponseHeadersPolicyId).toBeDefined();
  });

  it('guards private tenants with trusted key groups (two keys for rotation) when keys are configured', () => {
    const pem = '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----';
    const withKeys = synth('us-east-1', (c) => {
      c.deploy.trusted_public_keys = { acme: [pem, pem.replace('MIIB', 'MIIC')] };
    });
    const group = Object.values(withKeys.template.findResources('AWS::CloudFront::KeyGroup'))[0];
    expect(group.Properties.KeyGroupConfig.Items).toHaveLength(2);
    const acme = distributionConfig(withKeys).CacheBehaviors.find(
      (b: { PathPattern: string }) => b.PathPattern === '/acme/*',
    );
    expect(acme.TrustedKeyGroups).toHaveLength(1);
  });
});

describe('storage', () => {
  it('versions, encrypts, blocks public access to and logs every bucket', () => {
    const buckets = resources(us, 'AWS::S3::Bucket');
    for (const [id, b] of Object.entries(buckets)) {
      expect(b.Properties.PublicAccessBlockConfiguration, id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(b.Properties.BucketEncryption, id).toBeDefined();
      if (!id.includes('Logs')) expect(b.Properties.LoggingConfiguration, id).toBeDefined();
    }
    const originals = Object.entries(buckets).find(([id]) => id.includes('Originals'))![1];
    expect(originals.Properties.VersioningConfiguration.Status).toBe('Enabled');
    // enforceSSL: a Deny on aws:SecureTransport=false for every bucket.
    const policies = Object.values(resources(us, 'AWS::S3::BucketPolicy'));
    expect(policies.filter((p) => JSON.stringify(p).includes('aws:SecureTransport')).length).toBe(
      Object.keys(buckets).length,
    );
  });

  it('keeps derivatives at least as long as the edge may cache them', () => {
    const derivatives = Object.entries(resources(us, 'AWS::S3::Bucket')).find(([id]) => id.includes('Derivatives'))![1];
    const days = derivatives.Properties.LifecycleConfiguration.Rules[0].ExpirationInDays;
    expect(days).toBe(derivativeExpiryDays(us.config));
    expect(days * 86_400).toBeGreaterThanOrEqual(us.config.cache.max_age);
  });

  it('makes the audit trail write-once (Object Lock, compliance mode)', () => {
    const audit = Object.entries(resources(us, 'AWS::S3::Bucket')).find(([id]) => id.includes('Audit'))![1];
    expect(audit.Properties.ObjectLockEnabled).toBe(true);
    expect(audit.Properties.ObjectLockConfiguration.Rule.DefaultRetention).toEqual({
      Mode: 'COMPLIANCE',
      Days: us.config.deploy.audit_retention_days,
    });
  });
});

describe('functions', () => {
  const fns = () =>
    Object.values(resources(us, 'AWS::Lambda::Function')).filter((f) =>
      JSON.stringify(f.Properties.Environment ?? {}).includes('IMGFRONT_CONFIG'),
    );

  it('runs all three on arm64 provided.al2023 with config memory and timeouts', () => {
    const found = fns();
    expect(found).toHaveLength(3);
    const sizes = Object.values(us.config.deploy.functions).map((f) => f.memory_mb).sort();
    expect(found.map((f) => f.Properties.MemorySize).sort()).toEqual(sizes);
    for (const f of found) {
      expect(f.Properties.Architectures).toEqual(['arm64']);
      expect(f.Properties.Runtime).toBe('provided.al2023');
      expect(f.Properties.LoggingConfig.LogGroup).toBeDefined();
      const env = f.Properties.Environment.Variables;
      expect(JSON.parse(env.IMGFRONT_CONFIG).deploy).toBeUndefined();
    }
  });

  it('gives each function only the S3 and CloudFront actions it needs', () => {
    const policies = Object.entries(resources(us, 'AWS::IAM::Policy'));
    const actionsOf = (name: string) =>
      policies
        .filter(([id]) => id.startsWith(`Functions${name}`))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
        .flatMap((s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(new Set(actionsOf('Transform'))).toEqual(new Set(['s3:GetObject', 's3:ListBucket', 's3:PutObject']));
    expect(actionsOf('Precompute')).not.toContain('cloudfront:CreateInvalidation');
    expect(actionsOf('Transform').some((a: string) => a.includes('*'))).toBe(false);
    const takedown = policies
      .filter(([id]) => id.startsWith('FunctionsTakedown'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const cf = takedown.find((s: { Action: string[] }) => JSON.stringify(s.Action).includes('cloudfront'));
    expect(cf.Action).toEqual(['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation']);
    expect(JSON.stringify(cf.Resource)).toContain('distribution/');
  });
});

describe('wiring and observability', () => {
  it('queues created and removed originals for precompute, whose concurrency is capped so transform keeps its own', () => {
    const [notifications] = Object.values(resources(us, 'Custom::S3BucketNotifications'));
    const config = notifications.Properties.NotificationConfiguration;
    expect(config.LambdaFunctionConfigurations).toBeUndefined();
    const events = config.QueueConfigurations.map((c: { Events: string[] }) => c.Events[0]);
    expect(events.sort()).toEqual(['s3:ObjectCreated:*', 's3:ObjectRemoved:*']);
    const mappings = Object.values(resources(us, 'AWS::Lambda::EventSourceMapping')).map((m) => m.Properties);
    const precompute = mappings.find((m) => JSON.stringify(m.FunctionName).includes('Precompute'));
    expect(precompute.ScalingConfig.MaximumConcurrency).toBe(us.config.deploy.precompute_max_concurrency);
    expect(precompute.BatchSize).toBe(1);
    expect(precompute.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    // Nothing invokes precompute directly any more, so a bulk upload cannot fan out unbounded.
    us.template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
    const uploads = Object.entries(resources(us, 'AWS::SQS::Queue')).find(([id]) => id.includes('Uploads'))![1].Properties;
    expect(uploads.VisibilityTimeout).toBeGreaterThanOrEqual(6 * us.config.deploy.functions.precompute.timeout_s);
    expect(uploads.RedrivePolicy.maxReceiveCount).toBe(3);
    // Transform has no reservation by default (a reservation is also a cap) and one when configured.
    const transformOf = (s: Synth) =>
      Object.entries(s.template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('FunctionsTransform'))![1].Properties;
    expect(transformOf(us).ReservedConcurrentExecutions).toBeUndefined();
    const reserved = synth('us-east-1', (c) => {
      c.deploy.transform_reserved_concurrency = 200;
    });
    expect(transformOf(reserved).ReservedConcurrentExecutions).toBe(200);
  });

  it('feeds takedown from a queue with a DLQ, a long visibility timeout and partial batch failures', () => {
    us.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const takedowns = Object.entries(resources(us, 'AWS::SQS::Queue')).find(([id]) => id.includes('Takedowns'))![1].Properties;
    expect(takedowns.RedrivePolicy.maxReceiveCount).toBeGreaterThan(1);
    expect(takedowns.VisibilityTimeout).toBeGreaterThanOrEqual(6 * us.config.deploy.functions.takedown.timeout_s);
  });

  it('alarms on 5xx rate, Lambda errors and throttles and DLQ depth, and has a dashboard', () => {
    const alarms = Object.values(resources(us, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties.MetricName);
    expect(alarms).toContain('5xxErrorRate');
    expect(alarms.filter((m) => m === 'Errors')).toHaveLength(3);
    expect(alarms.filter((m) => m === 'Throttles')).toHaveLength(3);
    expect(alarms.filter((m) => m === 'ApproximateNumberOfMessagesVisible')).toHaveLength(2);
    const body = JSON.stringify(only(us, 'AWS::CloudWatch::Dashboard').DashboardBody);
    for (const needle of ['transform_ms', 'CacheHitRate', 'invalidated_paths']) expect(body).toContain(needle);
  });

  it('protects with WAF: managed rules and a rate limit; no rule matches a raw, undecoded URI', () => {
    const acl = only(us, 'AWS::WAFv2::WebACL');
    expect(acl.Scope).toBe('CLOUDFRONT');
    const names = acl.Rules.map((r: { Name: string }) => r.Name);
    for (const n of ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesAmazonIpReputationList', 'RatePerIp']) {
      expect(names).toContain(n);
    }
    // Any string match on the path must decode it first (and fold case), or `/%61cme/` walks
    // past it: the viewer function owns per-tenant rules, and this guards any rule added later.
    const uriMatches: { TextTransformations: { Type: string }[] }[] = [];
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (node === null || typeof node !== 'object') return;
      const o = node as Record<string, unknown>;
      const field = o.FieldToMatch as Record<string, unknown> | undefined;
      if (field && ('UriPath' in field || 'SingleQueryArgument' in field || 'AllQueryArguments' in field)) {
        uriMatches.push(o as never);
      }
      Object.values(o).forEach(visit);
    };
    visit(acl.Rules);
    for (const m of uriMatches) {
      expect(m.TextTransformations.map((t) => t.Type)).toEqual(expect.arrayContaining(['URL_DECODE', 'LOWERCASE']));
    }
  });

  it('emails every alarm to deploy.alarm_emails and outputs the alarm topics', () => {
    expect(Object.keys(us.template.findOutputs('*'))).toEqual(expect.arrayContaining(['AlarmTopicArn', 'EdgeAlarmTopicArn']));
    us.template.resourceCountIs('AWS::SNS::Subscription', 0);
    const mailed = synth('us-east-1', (c) => {
      c.deploy.alarm_emails = ['ops@example.com', 'oncall@example.com'];
    });
    const subs = Object.values(mailed.template.findResources('AWS::SNS::Subscription')).map((r) => r.Properties);
    // Two topics (Lambda/DLQ alarms, and CloudFront's 5xx alarm), each to both addresses.
    expect(subs).toHaveLength(4);
    for (const sub of subs) expect(sub.Protocol).toBe('email');
    // Every alarm in the stack notifies one of those topics.
    const topics = Object.keys(mailed.template.findResources('AWS::SNS::Topic'));
    for (const a of Object.values(mailed.template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(topics.some((t) => JSON.stringify(a.Properties.AlarmActions).includes(t))).toBe(true);
    }
    expect(() =>
      synth('us-east-1', (c) => {
        c.deploy.alarm_emails = ['not an address'];
      }),
    ).toThrow(/alarm_emails/);
  });

  it("refuses a render memory budget that leaves the function no room for its runtime", () => {
    expect(() =>
      synth('us-east-1', (c) => {
        c.limits.request_render_mib = c.deploy.functions.transform.memory_mb;
      }),
    ).toThrow(/limits\.request_render_mib \(1769\) must be at least 256 MB under deploy\.functions\.transform\.memory_mb/);
    expect(() =>
      synth('us-east-1', (c) => {
        c.limits.precompute_render_mib = 4000;
      }),
    ).toThrow(/limits\.precompute_render_mib/);
  });

  it('outputs the domain, buckets, queue URL and KeyValueStore ARN', () => {
    const outputs = Object.keys(us.template.findOutputs('*'));
    for (const o of ['DistributionDomain', 'OriginalsBucket', 'DerivativesBucket', 'TakedownQueueUrl', 'KeyValueStoreArn']) {
      expect(outputs).toContain(o);
    }
  });
});

describe('other regions', () => {
  it('puts WAF and the CloudFront alarm in us-east-1 and replicates originals to the replica region', () => {
    const eu = synth('eu-west-1', (c) => {
      c.deploy.replica_region = 'eu-central-1';
    });
    expect(eu.stacks.edge?.region).toBe('us-east-1');
    expect(eu.stacks.alarms?.region).toBe('us-east-1');
    expect(eu.stacks.replica?.region).toBe('eu-central-1');
    eu.template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    expect(JSON.stringify(distributionConfig(eu).Origins)).toContain('"OriginShieldRegion":"eu-west-1"');
    const originals = Object.entries(eu.template.findResources('AWS::S3::Bucket')).find(([id]) => id.includes('Originals'))![1];
    expect(originals.Properties.ReplicationConfiguration.Rules).toHaveLength(1);
    const takedown = Object.values(eu.template.findResources('AWS::Lambda::Function')).find((f) =>
      JSON.stringify(f.Properties.Environment ?? {}).includes('AUDIT_BUCKET'),
    )!;
    expect(takedown.Properties.Environment.Variables.REPLICA_REGION).toBe('eu-central-1');
  });
});

describe('Origin Shield', () => {
  it('uses the documented Origin Shield Region for every mapped stack region', () => {
    for (const [region, shield] of Object.entries(SHIELD_FOR)) {
      expect(ORIGIN_SHIELD_REGIONS, `${region} maps to ${shield}`).toContain(shield);
      expect(originShieldRegion(loadConfig(), region)).toBe(shield);
    }
    // us-west-1 hosts no Origin Shield: its origins shield in Oregon.
    expect(SHIELD_FOR['us-west-1']).toBe('us-west-2');
    expect(ORIGIN_SHIELD_REGIONS).not.toContain('us-west-1');
    const west = synth('us-west-1');
    expect(JSON.stringify(distributionConfig(west).Origins)).toContain('"OriginShieldRegion":"us-west-2"');
  });

  it('refuses a configured region that hosts no Origin Shield, and a stack region it cannot map', () => {
    expect(() =>
      synth('us-east-1', (c) => {
        c.deploy.origin_shield_region = 'us-west-1';
      }),
    ).toThrow(/deploy\.origin_shield_region is us-west-1, which does not host Origin Shield/);
    expect(() => synth('mx-central-1')).toThrow(/no Origin Shield Region is known for stack region mx-central-1; set deploy\.origin_shield_region/);
    const pinned = synth('mx-central-1', (c) => {
      c.deploy.origin_shield_region = 'us-east-2';
    });
    expect(JSON.stringify(distributionConfig(pinned).Origins)).toContain('"OriginShieldRegion":"us-east-2"');
  });
});

describe('deploy hygiene', () => {
  it('names the replication role uniquely, so two stacks or apps in one account do not collide', () => {
    const eu = synth('eu-west-1', (c) => {
      c.deploy.replica_region = 'eu-central-1';
    });
    const roles = Object.values(eu.template.findResources('AWS::IAM::Role')).map((r) => r.Properties);
    const replication = roles.filter((r) => JSON.stringify(r.AssumeRolePolicyDocument).includes('s3.amazonaws.com'));
    expect(replication).toHaveLength(1);
    expect(replication[0].RoleName).not.toBe('CDKReplicationRole');
  });

  it('fails fast, saying what to do, when bundling needs cargo-lambda and it is missing', () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'imgfront-cdk-')) });
      expect(() => buildApp(app, { account: '123456789012', region: 'us-east-1' })).toThrow(/cargo-lambda is not on PATH/);
    } finally {
      process.env.PATH = path;
    }
  });
});

/**
 * CloudFront's path-pattern match, as the Developer Guide describes it: case-sensitive, `*`
 * any run of characters, `?` one, against the URI exactly as the viewer sent it (still encoded).
 */
function patternMatches(pattern: string, uri: string): boolean {
  const p = pattern.startsWith('/') ? pattern : `/${pattern}`;
  const re = p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(uri);
}

describe('one spelling per path against the synthesized behaviors', () => {
  it('never lets another spelling reach an object under a different behavior than its canonical path', async () => {
    const pem = '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----';
    const s = synth('us-east-1', (c) => {
      c.deploy.trusted_public_keys = { acme: [pem] };
    });
    const patterns: string[] = distributionConfig(s).CacheBehaviors.map((b: { PathPattern: string }) => b.PathPattern);
    expect(patterns).toEqual(expect.arrayContaining(['/demo/ugc/*', '/acme/*']));
    const behavior = (uri: string) => patterns.find((p) => patternMatches(p, uri)) ?? 'default';
    const code = only(s, 'AWS::CloudFront::Function').FunctionCode as string;
    const store = { ...registryEntries(s.config), 'sig:acme': JSON.stringify(['k']) };
    const spellings = [
      '/%61cme/shoe.jpg', '/%61%63%6d%65/shoe.jpg', '/a%63me/shoe.jpg', '/acm%65/shoe.jpg', '/%2561cme/shoe.jpg',
      '/demo/%75gc/x.jpg', '/demo/u%67c/x.jpg', '/demo/ug%63/x.jpg', '/%64emo/ugc/x.jpg', '/demo/%2575gc/x.jpg',
      '/demo/ugc%2Fx.jpg', '/demo//ugc/x.jpg', '/demo/./ugc/x.jpg', '/demo/x/../ugc/x.jpg', '/demo/%2e/ugc/x.jpg',
      '/demo/ugc/%78.jpg', '/demo/ugc/x%2ejpg',
    ];
    for (const engine of ENGINES) {
      const out = await run(engine, code, store, spellings.map((u) => event(u, 'w=300')));
      spellings.forEach((uri, i) => {
        const r = out[i];
        if (isResponse(r)) {
          // Refused (4xx) or sent to the canonical spelling, which then picks its own behavior.
          expect([301, 400, 403, 404], `${engine} ${uri}`).toContain(r.statusCode);
          if (r.statusCode === 301) expect(r.headers.location.value).not.toBe(`${uri}?w=300`);
        } else {
          // Forwarded: only when the raw URI already picks the behavior its canonical path picks.
          const canonicalKey = r.uri.slice(0, r.uri.lastIndexOf('/'));
          expect(behavior(uri), `${engine} ${uri} → ${r.uri}`).toBe(behavior(canonicalKey));
        }
      });
      // The canonical spellings themselves are forwarded (acme's needs its signature).
      const [ugc] = await run(engine, code, store, [event('/demo/ugc/x.jpg', 'w=300')]);
      expect(summary(ugc)).toBe('/demo/ugc/x.jpg/w_320');
    }
  });
});

describe('template', () => {
  it('matches the snapshot', () => {
    const json = us.template.toJSON();
    // Asset hashes change with any source edit; the snapshot is about structure.
    const stable = JSON.parse(JSON.stringify(json).replace(/[0-9a-f]{64}/g, '<hash>'));
    expect(stable).toMatchSnapshot();
  });

  it('passes cfn-lint with zero errors on every synthesized template', () => {
    const cfnLint = join(REPO_ROOT, '.venv', 'bin', 'cfn-lint');
    expect(existsSync(cfnLint), 'cfn-lint is installed by scripts/setup').toBe(true);
    const eu = synth('eu-west-1', (c) => {
      c.deploy.replica_region = 'eu-central-1';
    });
    const templates = [us, eu].flatMap((s) =>
      s.assembly.stacks.map((st) => join(s.outdir, st.templateFile)),
    );
    expect(templates.length).toBe(5);
    // No errors and no warnings, except those .cfnlintrc.yaml explains.
    const out = (() => {
      try {
        return execFileSync(cfnLint, ['--format', 'parseable', ...templates], {
          encoding: 'utf8',
          cwd: join(REPO_ROOT, 'infra'),
        });
      } catch (e) {
        return (e as { stdout: string }).stdout;
      }
    })();
    expect(out.trim()).toBe('');
  });
});
