/**
 * The CloudFront Function against the shared vectors (100% agreement with the Rust spec),
 * signatures with KeyValueStore-held keys, fmt=auto with real browsers' Accept headers, and the
 * size limit.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { CONFIG_PATH, REPO_ROOT, loadConfig, type ImgfrontConfig } from '../lib/config.js';
import { MAX_FUNCTION_BYTES, viewerFunctionCode } from '../lib/viewer-function.js';
import { event, isResponse, load } from './cff-harness.js';

interface Vector {
  name: string;
  path: string;
  query: string;
  accept: string | null;
  expect: { canonical?: string; error?: string };
}

const vectorsDir = join(REPO_ROOT, 'tests', 'vectors');
const vectors = JSON.parse(readFileSync(join(vectorsDir, 'canonical.json'), 'utf8')) as {
  cases: Vector[];
};
// The vectors' frozen config has no deploy section; the function never reads it.
const vectorConfig = JSON.parse(readFileSync(join(vectorsDir, 'config.json'), 'utf8')) as ImgfrontConfig;

describe('viewer-request function on the shared vectors', () => {
  // The vectors cover parsing and canonicalization, like Rust's Spec::from_viewer; signatures
  // are a separate check (below), so every tenant is public here.
  const parsingOnly: ImgfrontConfig = {
    ...vectorConfig,
    tenants: vectorConfig.tenants.map((t) => ({ ...t, access: 'public' as const })),
  };
  const handler = load(viewerFunctionCode(parsingOnly), {});

  it('agrees with the Rust spec on every vector', async () => {
    const disagreements: string[] = [];
    for (const v of vectors.cases) {
      const out = await handler(event(v.path, v.query, v.accept));
      const got = isResponse(out)
        ? { error: (JSON.parse(out.body.data) as { error: string }).error }
        : { canonical: out.uri };
      if (JSON.stringify(got) !== JSON.stringify(v.expect)) {
        disagreements.push(`${v.name}: ${v.path}?${v.query} → ${JSON.stringify(got)}, Rust ${JSON.stringify(v.expect)}`);
      }
    }
    expect(disagreements).toEqual([]);
    expect(vectors.cases.length).toBeGreaterThan(200);
  });

  it('strips the query string and answers errors itself with a specific reason', async () => {
    const ok = await handler(event('/demo/a.jpg', 'w=300&utm_source=x&dpr=2', null));
    expect(isResponse(ok)).toBe(false);
    if (!isResponse(ok)) expect(ok.querystring).toEqual({});
    const bad = await handler(event('/demo/a.jpg', 'w=99999', null));
    expect(isResponse(bad) && bad.statusCode).toBe(400);
    if (isResponse(bad)) {
      expect(JSON.parse(bad.body.data).message).toContain('99999');
      expect(bad.headers['cache-control'].value).toBe('no-store');
    }
  });
});

describe('fmt=auto with real browsers', () => {
  const handler = load(viewerFunctionCode(vectorConfig), {});
  const browsers: [string, string, string][] = [
    ['Chrome 120', 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8', 'avif'],
    ['Firefox 120', 'image/avif,image/webp,*/*', 'avif'],
    ['Safari 17', 'image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5', 'avif'],
    ['Safari 14', 'image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5', 'webp'],
    ['Edge 18', 'image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5', 'jpeg'],
    ['curl', '*/*', 'jpeg'],
    ['avif refused', 'image/avif;q=0,image/webp', 'webp'],
  ];
  for (const [name, accept, format] of browsers) {
    it(`${name} gets ${format}`, async () => {
      const out = await handler(event('/demo/a.jpg', 'w=640&fmt=auto', accept));
      expect(isResponse(out) ? out.body.data : out.uri).toBe(`/demo/a.jpg/fmt_${format},w_640`);
    });
  }
});

describe('signatures for private tenants', () => {
  const config = loadConfig(CONFIG_PATH);
  const sign = (secret: string, s: string) => createHmac('sha256', secret).update(s).digest('base64url');
  const handler = load(viewerFunctionCode(config), { 'sig:acme': JSON.stringify(['old-key', 'new-key']) });
  const status = async (query: string, path = '/acme/shoe.jpg') => {
    const out = await handler(event(path, query, 'image/webp'));
    return isResponse(out) ? `${out.statusCode} ${JSON.parse(out.body.data).error}` : out.uri;
  };

  it('accepts either of the two active keys and binds the signed params', async () => {
    for (const key of ['old-key', 'new-key']) {
      const sig = sign(key, '/acme/shoe.jpg?fmt=auto&w=300');
      expect(await status(`w=300&fmt=auto&sig=${sig}&utm_source=x`)).toBe('/acme/shoe.jpg/fmt_webp,w_320');
    }
  });

  it('refuses missing, forged, truncated, reused, expired and cross-tenant signatures', async () => {
    const good = sign('old-key', '/acme/shoe.jpg?w=300');
    expect(await status('w=300')).toBe('403 signature_missing');
    expect(await status(`w=300&sig=${sign('stranger', '/acme/shoe.jpg?w=300')}`)).toBe('403 signature_mismatch');
    expect(await status(`w=300&sig=${good.slice(0, 20)}`)).toBe('403 signature_mismatch');
    expect(await status(`w=600&sig=${good}`)).toBe('403 signature_mismatch');
    expect(await status(`w=300&sig=${good}`, '/acme/other.jpg')).toBe('403 signature_mismatch');
    const expired = sign('old-key', '/acme/shoe.jpg?exp=1000&w=300');
    expect(await status(`w=300&exp=1000&sig=${expired}`)).toBe('403 signature_expired');
    const future = Math.floor(Date.now() / 1000) + 3600;
    const fresh = sign('new-key', `/acme/shoe.jpg?exp=${future}&w=300`);
    expect(await status(`w=300&exp=${future}&sig=${fresh}`)).toBe('/acme/shoe.jpg/w_320');
    // A public tenant's path signed with acme's key still needs no signature and ignores it.
    expect(await status(`w=300&sig=${good}`, '/demo/shoe.jpg')).toBe('/demo/shoe.jpg/w_320');
  });

  it('refuses a private tenant whose keys are missing from the KeyValueStore', async () => {
    const bare = load(viewerFunctionCode(config), {});
    const out = await bare(event('/acme/shoe.jpg', `w=300&sig=${sign('old-key', '/acme/shoe.jpg?w=300')}`, null));
    expect(isResponse(out) && out.statusCode).toBe(403);
  });
});

describe('size', () => {
  it(`stays under CloudFront's ${MAX_FUNCTION_BYTES}-byte limit for the repository config`, () => {
    const code = viewerFunctionCode(loadConfig(CONFIG_PATH));
    const size = Buffer.byteLength(code, 'utf8');
    console.log(`viewer function: ${size} bytes of ${MAX_FUNCTION_BYTES}`);
    expect(size).toBeLessThanOrEqual(MAX_FUNCTION_BYTES);
  });
});
