/**
 * Reads the repository's one configuration (`../imgfront.json`): what the Rust crates read, plus
 * the `deploy` section only the CDK app uses. Nothing here is duplicated by hand elsewhere.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Tenant {
  id: string;
  access: 'public' | 'private';
  allowed_referers: string[];
}

export interface FunctionSettings {
  memory_mb: number;
  timeout_s: number;
}

export interface DeployConfig {
  /** Origin Shield region; mapped from the stack region when null. */
  origin_shield_region: string | null;
  price_class: 'PriceClass_100' | 'PriceClass_200' | 'PriceClass_All';
  /** Custom domain and its ACM certificate (us-east-1), both or neither. */
  domain: string | null;
  certificate_arn: string | null;
  /** A second region for the Cross-Region Replication copy of the originals, or null. */
  replica_region: string | null;
  log_retention_days: number;
  /** Audit records are kept (Object Lock, compliance mode) this many days. */
  audit_retention_days: number;
  functions: { transform: FunctionSettings; precompute: FunctionSettings; takedown: FunctionSettings };
  /** Addresses every alarm topic emails (each confirms its subscription once). */
  alarm_emails: string[];
  /**
   * Concurrent executions reserved for the transform function, or null for none. A reservation
   * is also a cap, and Lambda keeps 100 of an account's limit unreserved, so it needs an account
   * limit of at least this plus 100; the precompute cap alone already keeps bulk uploads away.
   */
  transform_reserved_concurrency: number | null;
  /** Most precompute invocations at once (the SQS event source's maximum concurrency, 2-1000). */
  precompute_max_concurrency: number;
  /** Requests per source IP per 5 minutes before WAF blocks. */
  waf_rate_limit: number;
  cors_allowed_origins: string[];
  /** Viewer path patterns served with a 60 s max TTL (content that may be taken down often). */
  short_ttl_paths: string[];
  /** Per private tenant: PEM public keys for CloudFront signed URLs (two during rotation). */
  trusted_public_keys: Record<string, string[]>;
}

export interface ImgfrontConfig {
  breakpoints: { width: number[]; height: number[] };
  limits: {
    max_width: number;
    max_height: number;
    max_source_pixels: number;
    max_source_bytes: number;
    max_key_bytes: number;
    max_query_bytes: number;
    max_value_bytes: number;
    /** Wall-clock budget of a request-path render; under the transform function's timeout. */
    request_render_s: number;
    /** Wall-clock budget of one original's precompute fan-out; under precompute's timeout. */
    precompute_render_s: number;
    request_render_mib: number;
    precompute_render_mib: number;
  };
  quality: { allowed: number[]; default: { jpeg: number; webp: number; avif: number } };
  cache: { max_age: number; stale_while_revalidate: number; stale_if_error: number; error_max_age: number };
  presets: { name: string; query: string; formats: string[] }[];
  /** The values public tenants' (unsigned) URLs may use; see crates/spec/src/keyspace.rs. */
  unsigned: { bg: string[]; blur: number[]; sharpen: number[]; max_variants_per_original: number };
  tenants: Tenant[];
  deploy: DeployConfig;
}

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(here, '..', '..');
export const CONFIG_PATH = join(REPO_ROOT, 'imgfront.json');

export function loadConfig(path: string = CONFIG_PATH): ImgfrontConfig {
  return checkConfig(JSON.parse(readFileSync(path, 'utf8')) as ImgfrontConfig, path);
}

/** Refuses a deploy section the stacks cannot be built from, naming the setting. */
export function checkConfig(config: ImgfrontConfig, path = 'imgfront.json'): ImgfrontConfig {
  const d = config.deploy;
  if (!d) throw new Error(`${path}: no "deploy" section`);
  if ((d.domain === null) !== (d.certificate_arn === null)) {
    throw new Error(`${path}: deploy.domain and deploy.certificate_arn go together`);
  }
  // A render must end with its own specific 422 before Lambda kills the function.
  if (!(config.limits.request_render_s <= d.functions.transform.timeout_s - 2)) {
    throw new Error(`${path}: limits.request_render_s must be at least 2 s under deploy.functions.transform.timeout_s`);
  }
  if (!(config.limits.precompute_render_s <= d.functions.precompute.timeout_s - 10)) {
    throw new Error(`${path}: limits.precompute_render_s must be at least 10 s under deploy.functions.precompute.timeout_s`);
  }
  // The memory budget is the renders' share; the runtime, the source and the output need the rest.
  for (const [fn, mib] of [['transform', config.limits.request_render_mib], ['precompute', config.limits.precompute_render_mib]] as const) {
    if (!(mib <= d.functions[fn].memory_mb - 256)) {
      throw new Error(`${path}: limits.${fn === 'transform' ? 'request' : 'precompute'}_render_mib (${mib}) must be at least 256 MB under deploy.functions.${fn}.memory_mb`);
    }
  }
  for (const email of d.alarm_emails ?? []) {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) throw new Error(`${path}: deploy.alarm_emails has ${email}, which is not an email address`);
  }
  if (!Array.isArray(d.alarm_emails)) throw new Error(`${path}: deploy.alarm_emails must be a list (empty for none)`);
  if (!(d.precompute_max_concurrency >= 2 && d.precompute_max_concurrency <= 1000)) {
    throw new Error(`${path}: deploy.precompute_max_concurrency must be 2-1000 (SQS event sources' range)`);
  }
  if (d.transform_reserved_concurrency !== null && !(d.transform_reserved_concurrency >= 1)) {
    throw new Error(`${path}: deploy.transform_reserved_concurrency must be null or at least 1`);
  }
  for (const tenant of Object.keys(d.trusted_public_keys)) {
    const t = config.tenants.find((x) => x.id === tenant);
    if (!t || t.access !== 'private') {
      throw new Error(`${path}: trusted_public_keys names ${tenant}, which is not a private tenant`);
    }
    if (d.trusted_public_keys[tenant].length > 2) {
      throw new Error(`${path}: tenant ${tenant} has more than two public keys (one old, one new)`);
    }
  }
  return config;
}

/** The raw JSON the Lambdas get as IMGFRONT_CONFIG (they ignore `deploy`). */
export function configJson(path: string = CONFIG_PATH): string {
  return JSON.stringify(JSON.parse(readFileSync(path, 'utf8')));
}

/**
 * The Regions that host Origin Shield, and the one to use for an origin in each other Region:
 * the table "Choosing the AWS Region for Origin Shield" in the CloudFront Developer Guide
 * (docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/origin-shield.html). Only the
 * twelve Regions on the right-hand side host Origin Shield; us-west-1, for one, does not.
 */
export const ORIGIN_SHIELD_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-2', 'ap-south-1', 'ap-northeast-1', 'ap-northeast-2',
  'ap-southeast-1', 'ap-southeast-2', 'eu-central-1', 'eu-west-1', 'eu-west-2', 'sa-east-1',
] as const;

export const SHIELD_FOR: Record<string, string> = {
  ...Object.fromEntries(ORIGIN_SHIELD_REGIONS.map((r) => [r, r])),
  'us-west-1': 'us-west-2',
  'af-south-1': 'eu-west-1',
  'ap-east-1': 'ap-southeast-1',
  'ap-northeast-3': 'ap-northeast-1',
  'ca-central-1': 'us-east-1',
  'eu-south-1': 'eu-central-1',
  'eu-west-3': 'eu-west-2',
  'eu-north-1': 'eu-west-2',
  'me-south-1': 'ap-south-1',
};

/** The Origin Shield Region for a stack: the configured one, else the table's; never a guess. */
export function originShieldRegion(config: ImgfrontConfig, stackRegion: string): string {
  const configured = config.deploy.origin_shield_region;
  if (configured !== null) {
    if (!(ORIGIN_SHIELD_REGIONS as readonly string[]).includes(configured)) {
      throw new Error(
        `deploy.origin_shield_region is ${configured}, which does not host Origin Shield; use one of ${ORIGIN_SHIELD_REGIONS.join(', ')}`,
      );
    }
    return configured;
  }
  const mapped = Object.prototype.hasOwnProperty.call(SHIELD_FOR, stackRegion) ? SHIELD_FOR[stackRegion] : undefined;
  if (mapped === undefined) {
    throw new Error(
      `no Origin Shield Region is known for stack region ${stackRegion}; set deploy.origin_shield_region in imgfront.json to the nearest of ${ORIGIN_SHIELD_REGIONS.join(', ')}`,
    );
  }
  return mapped;
}
