/**
 * The tenant registry as the viewer function reads it from the KeyValueStore: one key per tenant
 * id whose value says whether requests must be signed (`p`) and which sites may embed its images
 * (`r`). Signing secrets live beside it under `sig:{tenant}` and are never written by the CDK app
 * (they would land in the template): `imgfront tenants` sets and rotates them.
 *
 * KeyValueStore limits (CloudFront's "File format for key-value pairs"): keys up to 512
 * characters, values up to 1,024, 5 MB per store. A tenant's entry is about 30 bytes plus its
 * Referer patterns, and its secrets entry about 100, so one store holds tens of thousands of
 * tenants; the 1 KB value limit caps one tenant's Referer list at roughly 40 patterns.
 */
import type { ImgfrontConfig, Tenant } from './config.js';

export const KVS_MAX_KEY_CHARS = 512;
export const KVS_MAX_VALUE_CHARS = 1024;
export const KVS_MAX_BYTES = 5 * 1024 * 1024;

/** One tenant's registry value: `{"p":1,"r":[…]}` with each field only when it is set. */
export function registryValue(tenant: Tenant): string {
  const value: { p?: 1; r?: string[] } = {};
  if (tenant.access === 'private') value.p = 1;
  if (tenant.allowed_referers.length > 0) value.r = tenant.allowed_referers;
  return JSON.stringify(value);
}

/** Every tenant's registry entry, checked against the store's limits. */
export function registryEntries(config: ImgfrontConfig): Record<string, string> {
  const out: Record<string, string> = {};
  let total = 0;
  for (const tenant of config.tenants) {
    const value = registryValue(tenant);
    if (tenant.id.length > KVS_MAX_KEY_CHARS) throw new Error(`tenant id ${tenant.id.slice(0, 40)}… is over the KeyValueStore's ${KVS_MAX_KEY_CHARS}-character key limit`);
    if (value.length > KVS_MAX_VALUE_CHARS) {
      throw new Error(`tenant ${tenant.id}: its registry entry is ${value.length} characters, over the KeyValueStore's ${KVS_MAX_VALUE_CHARS}-character value limit (shorten allowed_referers)`);
    }
    Object.defineProperty(out, tenant.id, { value, enumerable: true });
    total += tenant.id.length + value.length;
  }
  if (total > KVS_MAX_BYTES) throw new Error(`the tenant registry is ${total} bytes, over the KeyValueStore's 5 MB`);
  return out;
}

/** The KeyValueStore import file (`{"data":[{"key":…,"value":…}]}`) for the store's creation. */
export function registryImport(config: ImgfrontConfig): string {
  const entries = registryEntries(config);
  return JSON.stringify({ data: Object.keys(entries).map((key) => ({ key, value: entries[key] })) });
}
