/**
 * Delivery: the CloudFront distribution. Viewer-request function (the spec's JS twin, keys in a
 * KeyValueStore) → path-only cache key → Origin Shield → origin group of the derivatives bucket
 * (OAC) failing over to the transform Function URL (OAC, AWS_IAM).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

import { originShieldRegion, type ImgfrontConfig } from './config.js';
import type { Storage } from './storage.js';
import { registryImport } from './tenant-registry.js';
import { viewerFunctionCode } from './viewer-function.js';

/** Origin-group failover codes: everything CloudFront allows (a 403 is S3's "no such key"). */
export const FAILOVER_CODES = [403, 404, 500, 502, 503, 504];

export interface DeliveryProps {
  config: ImgfrontConfig;
  storage: Storage;
  transform: lambda.IFunction;
  /** WAF web ACL (scope CLOUDFRONT, in us-east-1). */
  webAclArn?: string;
}

export class Delivery extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly keyValueStore: cloudfront.KeyValueStore;
  readonly viewerFunction: cloudfront.Function;
  readonly functionUrl: lambda.FunctionUrl;
  readonly hasCustomDomain: boolean;

  constructor(scope: Construct, id: string, props: DeliveryProps) {
    super(scope, id);
    const { config, storage } = props;
    const region = Stack.of(this).region;
    const shield = { originShieldEnabled: true, originShieldRegion: originShieldRegion(config, region) };

    // Created holding the tenant registry from the config (CloudFormation imports a store's
    // contents only when it creates it); `imgfront tenants` keeps it in step afterwards and is
    // the only writer of signing secrets, which never enter the template.
    this.keyValueStore = new cloudfront.KeyValueStore(this, 'Tenants', {
      comment: 'imgfront: {tenant} = {"p":1,"r":[referers]}, sig:{tenant} = ["secret","next-secret"]',
      source: cloudfront.ImportSource.fromInline(registryImport(config)),
    });
    this.viewerFunction = new cloudfront.Function(this, 'ViewerRequest', {
      code: cloudfront.FunctionCode.fromInline(viewerFunctionCode(config)),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      keyValueStore: this.keyValueStore,
      comment: 'imgfront: viewer URL -> canonical path (the JS twin of crates/spec)',
    });

    const ttl = {
      defaultTtl: Duration.seconds(config.cache.max_age),
      maxTtl: Duration.seconds(config.cache.max_age),
      minTtl: Duration.seconds(0),
    };
    const pathOnly = {
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      // Images are already compressed; gzip/brotli variants would only split the cache.
      enableAcceptEncodingGzip: false,
      enableAcceptEncodingBrotli: false,
    };
    const cachePolicy = new cloudfront.CachePolicy(this, 'CanonicalPath', {
      comment: 'imgfront: the canonical path is the whole cache key',
      ...pathOnly,
      ...ttl,
    });
    const shortTtl = new cloudfront.CachePolicy(this, 'ShortTtl', {
      comment: 'imgfront: takedown-eligible paths, cached at most 60 s',
      ...pathOnly,
      defaultTtl: Duration.seconds(60),
      maxTtl: Duration.seconds(60),
      minTtl: Duration.seconds(0),
    });

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: 'imgfront: CORS, security headers and Vary',
      // One viewer URL answers by Accept (fmt=auto). CloudFront keys on the canonical path the
      // function resolved, but browsers and shared caches after it key on the URL, so every
      // response says it varies by Accept (cheaper than a viewer-response function per request).
      customHeadersBehavior: {
        customHeaders: [{ header: 'Vary', value: 'Accept', override: true }],
      },
      corsBehavior: {
        accessControlAllowOrigins: config.deploy.cors_allowed_origins,
        accessControlAllowMethods: ['GET', 'HEAD'],
        accessControlAllowHeaders: ['*'],
        accessControlAllowCredentials: false,
        accessControlMaxAge: Duration.days(1),
        originOverride: true,
      },
      securityHeadersBehavior: {
        contentTypeOptions: { override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
        referrerPolicy: {
          referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
          override: true,
        },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
      },
    });

    // The failover origin: the transform Lambda behind an IAM-authenticated, streaming URL.
    this.functionUrl = props.transform.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.AWS_IAM,
      invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
    });
    const originGroup = new origins.OriginGroup({
      primaryOrigin: origins.S3BucketOrigin.withOriginAccessControl(storage.derivatives, shield),
      fallbackOrigin: origins.FunctionUrlOrigin.withOriginAccessControl(this.functionUrl, {
        ...shield,
        readTimeout: Duration.seconds(Math.min(60, config.deploy.functions.transform.timeout_s)),
      }),
      fallbackStatusCodes: FAILOVER_CODES,
    });

    const behavior = (policy: cloudfront.ICachePolicy, keyGroup?: cloudfront.IKeyGroup) => ({
      origin: originGroup,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
      cachePolicy: policy,
      responseHeadersPolicy: headers,
      compress: false,
      functionAssociations: [
        { function: this.viewerFunction, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
      ],
      ...(keyGroup ? { trustedKeyGroups: [keyGroup] } : {}),
    });

    const additionalBehaviors: Record<string, cloudfront.BehaviorOptions> = {};
    for (const pattern of config.deploy.short_ttl_paths) {
      additionalBehaviors[pattern] = behavior(shortTtl);
    }
    for (const [tenant, pems] of Object.entries(config.deploy.trusted_public_keys)) {
      if (pems.length === 0) continue;
      const keys = pems.map(
        (pem, i) => new cloudfront.PublicKey(this, `${tenant}Key${i}`, { encodedKey: pem, comment: `${tenant} key ${i + 1}` }),
      );
      const group = new cloudfront.KeyGroup(this, `${tenant}KeyGroup`, { items: keys });
      additionalBehaviors[`/${tenant}/*`] = behavior(cachePolicy, group);
    }

    const domain = config.deploy.domain;
    const certificateArn = config.deploy.certificate_arn;
    this.hasCustomDomain = domain !== null && certificateArn !== null;
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'imgfront image delivery',
      defaultBehavior: behavior(cachePolicy),
      additionalBehaviors,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: config.deploy.price_class as cloudfront.PriceClass,
      enableLogging: true,
      logBucket: storage.logs,
      logFilePrefix: 'cloudfront/',
      webAclId: props.webAclArn,
      ...(domain && certificateArn
        ? {
            domainNames: [domain],
            certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', certificateArn),
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      // 4xx answers from the origin are cached as briefly as the origin says; 5xx not at all.
      errorResponses: [
        ...[400, 403, 404, 405, 414, 416].map((code) => ({
          httpStatus: code,
          ttl: Duration.seconds(config.cache.error_max_age),
        })),
        ...[500, 501, 502, 503, 504].map((code) => ({ httpStatus: code, ttl: Duration.seconds(0) })),
      ],
    });
    // FunctionUrlOrigin.withOriginAccessControl grants CloudFront both permissions a Function URL
    // behind OAC needs (InvokeFunctionUrl, and InvokeFunction limited to InvokedViaFunctionUrl).
  }
}
