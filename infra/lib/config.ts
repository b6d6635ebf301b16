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
  };
  quality: { allowed: number[]; default: { jpeg: number; webp: number; avif: number } };
  cache: { max_age: number; stale_while_revalidate: number; stale_if_error: number; error_max_age: number };
  presets: { name: string; query: string; formats: string[] }[];
  tenants: Tenant[];
  deploy: DeployConfig;
}

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(here, '..', '..');
export const CONFIG_PATH = join(REPO_ROOT, 'imgfront.json');

export function loadConfig(path: string = CONFIG_PATH): ImgfrontConfig {
  const config = JSON.parse(readFileSync(path, 'utf8')) as ImgfrontConfig;
  const d = config.deploy;
  if (!d) throw new Error(`${path}: no "deploy" section`);
  if ((d.domain === null) !== (d.certificate_arn === null)) {
    throw new Error(`${path}: deploy.domain and deploy.certificate_arn go together`);
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
 * Origin Shield should sit in the Regional Edge Cache region closest to the origin. Most regions
 * host one; the others map to their nearest (per CloudFront's Origin Shield region table).
 */
const SHIELD_FOR: Record<string, string> = {
  'us-east-1': 'us-east-1',
  'us-east-2': 'us-east-2',
  'us-west-1': 'us-west-1',
  'us-west-2': 'us-west-2',
  'ca-central-1': 'us-east-1',
  'sa-east-1': 'sa-east-1',
  'eu-west-1': 'eu-west-1',
  'eu-west-2': 'eu-west-2',
  'eu-west-3': 'eu-west-2',
  'eu-central-1': 'eu-central-1',
  'eu-north-1': 'eu-central-1',
  'eu-south-1': 'eu-central-1',
  'ap-south-1': 'ap-south-1',
  'ap-northeast-1': 'ap-northeast-1',
  'ap-northeast-2': 'ap-northeast-2',
  'ap-northeast-3': 'ap-northeast-1',
  'ap-southeast-1': 'ap-southeast-1',
  'ap-southeast-2': 'ap-southeast-2',
  'ap-east-1': 'ap-southeast-1',
  'me-south-1': 'ap-south-1',
  'af-south-1': 'eu-west-1',
};

export function originShieldRegion(config: ImgfrontConfig, stackRegion: string): string {
  return config.deploy.origin_shield_region ?? SHIELD_FOR[stackRegion] ?? 'us-east-1';
}
