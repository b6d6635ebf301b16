/**
 * The generated CloudFront Function (minified, with the real config) under njs — the engine whose
 * subset CloudFront documents — and under Node: the shared vectors (100% agreement with the Rust
 * spec, redirects included), Referer vectors shared with the Rust edge, signatures and tenants
 * read from the KeyValueStore, fmt=auto with real browsers' Accept headers, 1,000 tenants, the
 * subset check itself, and the size limit.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { subsetViolations } from '../lib/cff-subset.js';
import { CONFIG_PATH, REPO_ROOT, loadConfig, type ImgfrontConfig, type Tenant } from '../lib/config.js';
import { registryEntries } from '../lib/tenant-registry.js';
import { MAX_FUNCTION_BYTES, minify, viewerFunctionCode } from '../lib/viewer-function.js';
import { ENGINES, event, isResponse, run, summary, type CffEvent } from './cff-harness.js';

interface Vector {
  name: string;
  path: string;
  query: string;
  accept: string | null;
  expect: { canonical?: string; error?: string; redirect?: string };
}

const vectorsDir = join(REPO_ROOT, 'tests', 'vectors');
const vectors = (JSON.parse(readFileSync(join(vectorsDir, 'canonical.json'), 'utf8')) as { cases: Vector[] }).cases;
const refererVectors = (
  JSON.parse(readFileSync(join(vectorsDir, 'referer.json'), 'utf8')) as {
    cases: { referer: string; allowed: string[]; expect: boolean }[];
  }
).cases;
// The vectors' frozen config has no deploy section; the function never reads it.
const vectorConfig = JSON.parse(readFileSync(join(vectorsDir, 'config.json'), 'utf8')) as ImgfrontConfig;
const repoConfig = loadConfig(CONFIG_PATH);
const sign = (secret: string, s: string) => createHmac('sha256', secret).update(s).digest('base64url');

/** What a result means for the shared vectors: a canonical path, an error kind or a redirect. */
function outcome(r: Awaited<ReturnType<typeof run>>[number]): Vector['expect'] {
  if (!isResponse(r)) return { canonical: r.uri };
  if (r.statusCode === 301) return { redirect: r.headers.location?.value };
  return { error: (JSON.parse(r.body.data) as { error: string }).error };
}

for (const engine of ENGINES) {
  describe(`viewer-request function under ${engine}`, () => {
    it('agrees with the Rust spec on every shared vector', async () => {
      // The vectors cover parsing and canonicalization, like Rust's Spec::from_viewer; every
      // tenant is public here, and signatures are checked below.
      const publicOnly: ImgfrontConfig = {
        ...vectorConfig,
        tenants: vectorConfig.tenants.map((t) => ({ ...t, access: 'public' as const, allowed_referers: [] })),
      };
      const code = viewerFunctionCode(publicOnly);
      const out = await run(engine, code, registryEntries(publicOnly), vectors.map((v) => event(v.path, v.query, v.accept === null ? {} : { accept: v.accept })));
      const disagreements = vectors
        .map((v, i) => ({ v, got: outcome(out[i]) }))
        .filter(({ v, got }) => JSON.stringify(got) !== JSON.stringify(v.expect))
        .map(({ v, got }) => `${v.name}: ${v.path}?${v.query} → ${JSON.stringify(got)}, Rust ${JSON.stringify(v.expect)}`);
      expect(disagreements).toEqual([]);
      expect(vectors.length).toBeGreaterThan(280);
      expect(vectors.filter((v) => v.expect.redirect).length).toBeGreaterThanOrEqual(10);
    });

    it('strips the query string, answers errors itself with a specific reason, and redirects with Location', async () => {
      const code = viewerFunctionCode(repoConfig);
      const [ok, bad, moved] = await run(engine, code, registryEntries(repoConfig), [
        event('/demo/a.jpg', 'w=300&utm_source=x&dpr=2'),
        event('/demo/a.jpg', 'w=99999'),
        event('/%64emo/a.jpg', 'w=300'),
      ]);
      expect(isResponse(ok)).toBe(false);
      if (!isResponse(ok)) expect(ok.querystring).toEqual({});
      expect(isResponse(bad) && bad.statusCode).toBe(400);
      if (isResponse(bad)) {
        expect(JSON.parse(bad.body.data).message).toContain('99999');
        expect(bad.headers['cache-control'].value).toBe('no-store');
      }
      expect(summary(moved)).toBe('301 moved → /demo/a.jpg?w=300');
    });

    it('gives real browsers the format their Accept header allows', async () => {
      const browsers: [string, string, string][] = [
        ['Chrome 120', 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8', 'avif'],
        ['Firefox 120', 'image/avif,image/webp,*/*', 'avif'],
        ['Safari 17', 'image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5', 'avif'],
        ['Safari 14', 'image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5', 'webp'],
        ['Edge 18', 'image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5', 'jpeg'],
        ['curl', '*/*', 'jpeg'],
        ['avif refused', 'image/avif;q=0,image/webp', 'webp'],
      ];
      const out = await run(engine, viewerFunctionCode(vectorConfig), registryEntries(vectorConfig),
        browsers.map(([, accept]) => event('/demo/a.jpg', 'w=640&fmt=auto', { accept })));
      expect(out.map(summary)).toEqual(browsers.map(([, , f]) => `/demo/a.jpg/fmt_${f},w_640`));
    });

    describe('tenants from the KeyValueStore', () => {
      const store = { ...registryEntries(repoConfig), 'sig:acme': JSON.stringify(['old-key', 'new-key']) };
      const code = viewerFunctionCode(repoConfig);
      const check = async (cases: [CffEvent, string][]) => {
        const out = await run(engine, code, store, cases.map(([e]) => e));
        expect(out.map(summary)).toEqual(cases.map(([, want]) => want));
      };

      it('accepts either of the two active keys and binds the signed params', async () => {
        await check(['old-key', 'new-key'].map((key) => {
          const sig = sign(key, '/acme/shoe.jpg?fmt=auto&w=300');
          return [event('/acme/shoe.jpg', `w=300&fmt=auto&sig=${sig}&utm_source=x`, { accept: 'image/webp' }), '/acme/shoe.jpg/fmt_webp,w_320'];
        }));
      });

      it('accepts every shared signing vector and refuses each under another secret', async () => {
        // The vectors Rust, the TypeScript client and the Python snippet sign alike. Those with
        // an `exp` are left out: their acceptance depends on today's date, not on the signature.
        const vectors = (JSON.parse(readFileSync(join(REPO_ROOT, 'tests/vectors/signing.json'), 'utf8')) as {
          cases: { name: string; url: string; secret: string; sig: string }[];
        }).cases.filter((c) => !/[?&]exp=/.test(c.url));
        expect(vectors.length).toBeGreaterThanOrEqual(6);
        for (const v of vectors) {
          const [path = '', query = ''] = v.url.split('?');
          const signed = event(path, `${query}${query ? '&' : ''}sig=${v.sig}`);
          const right = await run(engine, code, { ...registryEntries(repoConfig), 'sig:acme': JSON.stringify([v.secret]) }, [signed]);
          const wrong = await run(engine, code, { ...registryEntries(repoConfig), 'sig:acme': JSON.stringify(['not the secret']) }, [signed]);
          expect(right.map(summary)[0], v.name).toMatch(/^\/acme\//);
          expect(wrong.map(summary), v.name).toEqual(['403 signature_mismatch']);
        }
      });

      it('refuses missing, forged, truncated, reused, expired and cross-tenant signatures', async () => {
        const good = sign('old-key', '/acme/shoe.jpg?w=300');
        const expired = sign('old-key', '/acme/shoe.jpg?exp=1000&w=300');
        const future = Math.floor(Date.now() / 1000) + 3600;
        const fresh = sign('new-key', `/acme/shoe.jpg?exp=${future}&w=300`);
        const tooFar = Math.floor(Date.now() / 1000) + 366 * 86400;
        const farSig = sign('new-key', `/acme/shoe.jpg?exp=${tooFar}&w=300`);
        await check([
          [event('/acme/shoe.jpg', 'w=300'), '403 signature_missing'],
          [event('/acme/shoe.jpg', `w=300&sig=${sign('stranger', '/acme/shoe.jpg?w=300')}`), '403 signature_mismatch'],
          [event('/acme/shoe.jpg', `w=300&sig=${good.slice(0, 20)}`), '403 signature_mismatch'],
          [event('/acme/shoe.jpg', `w=600&sig=${good}`), '403 signature_mismatch'],
          [event('/acme/other.jpg', `w=300&sig=${good}`), '403 signature_mismatch'],
          [event('/acme/shoe.jpg', `w=300&exp=1000&sig=${expired}`), '403 signature_expired'],
          [event('/acme/shoe.jpg', `w=300&exp=${future}&sig=${fresh}`), '/acme/shoe.jpg/w_320'],
          // A signed URL may live at most a year.
          [event('/acme/shoe.jpg', `w=300&exp=${tooFar}&sig=${farSig}`), '403 signature_expiry_too_far'],
          // A public tenant's path signed with acme's key still needs no signature and ignores it.
          [event('/demo/shoe.jpg', `w=300&sig=${good}`), '/demo/shoe.jpg/w_320'],
          // The redirect comes before the signature, and keeps it for the canonical request.
          [event('/%61cme/shoe.jpg', `w=300&sig=${good}`), `301 moved → /acme/shoe.jpg?w=300&sig=${good}`],
        ]);
      });

      it('refuses a private tenant whose keys are missing from the store, and a tenant the store lacks', async () => {
        const out = await run(engine, code, registryEntries(repoConfig), [
          event('/acme/shoe.jpg', `w=300&sig=${sign('old-key', '/acme/shoe.jpg?w=300')}`),
          event('/nobody/shoe.jpg', 'w=300'),
        ]);
        expect(out.map(summary)).toEqual(['403 no_signing_key', '404 unknown_tenant']);
      });

      it('applies the Referer allowlist it reads from the store (the vectors shared with Rust)', async () => {
        const cases = refererVectors.map((v, i) => {
          const tenant: Tenant = { id: `r${i}`, access: 'public', allowed_referers: v.allowed };
          return { v, tenant };
        });
        const config: ImgfrontConfig = { ...repoConfig, tenants: cases.map((c) => c.tenant) };
        const out = await run(engine, viewerFunctionCode(config), registryEntries(config),
          cases.map(({ v, tenant }) => event(`/${tenant.id}/a.jpg`, 'w=300', { referer: v.referer })));
        const got = out.map((r, i) => `${cases[i].v.referer} ${isResponse(r) ? summary(r) : 'allowed'}`);
        expect(got).toEqual(cases.map(({ v }) => `${v.referer} ${v.expect ? 'allowed' : '403 referer_not_allowed'}`));
        // No Referer at all (privacy settings, direct visits) is allowed.
        const [bare] = await run(engine, viewerFunctionCode(config), registryEntries(config), [event('/r0/a.jpg', 'w=300')]);
        expect(summary(bare)).toBe('/r0/a.jpg/w_320');
      });
    });

    it('serves 1,000 tenants from the store with the same code, each with its own access and keys', async () => {
      const tenants: Tenant[] = Array.from({ length: 1000 }, (_, i) => ({
        id: `tenant-${String(i).padStart(4, '0')}`,
        access: i % 3 === 0 ? 'private' : 'public',
        allowed_referers: i % 5 === 0 ? [`t${i}.example`, `*.t${i}.example`] : [],
      }));
      const config: ImgfrontConfig = { ...repoConfig, tenants };
      const store = registryEntries(config);
      const events: CffEvent[] = [];
      const want: string[] = [];
      for (const t of tenants) {
        if (t.access === 'private') {
          const secret = `secret-of-${t.id}`;
          store[`sig:${t.id}`] = JSON.stringify([secret]);
          events.push(event(`/${t.id}/p.jpg`, `w=480&sig=${sign(secret, `/${t.id}/p.jpg?w=480`)}`));
          want.push(`/${t.id}/p.jpg/w_480`);
          // Another tenant's key never signs this tenant's path.
          events.push(event(`/${t.id}/p.jpg`, `w=480&sig=${sign('secret-of-tenant-0001', `/${t.id}/p.jpg?w=480`)}`));
          want.push('403 signature_mismatch');
        } else {
          events.push(event(`/${t.id}/p.jpg`, 'w=480', { referer: 'https://elsewhere.example/' }));
          want.push(t.allowed_referers.length ? '403 referer_not_allowed' : `/${t.id}/p.jpg/w_480`);
        }
      }
      const code = viewerFunctionCode(config);
      expect(code).toBe(viewerFunctionCode(repoConfig));
      const out = await run(engine, code, store, events);
      expect(out.map(summary)).toEqual(want);
      const bytes = Object.entries(store).reduce((n, [k, v]) => n + k.length + v.length, 0);
      console.log(`${engine}: 1,000 tenants, ${events.length} requests, KeyValueStore ${bytes} bytes, function ${Buffer.byteLength(code)} bytes`);
    });
  });
}

describe('the cloudfront-js-2.0 subset check', () => {
  const refused: [string, string][] = [
    ['for…of', 'async function handler(e) { for (const x of [1]) {} return e; }'],
    ['await in a call argument', "import cf from 'cloudfront'; async function handler(e) { return JSON.parse(await cf.kvs().get('k')); }"],
    ['async arrow', 'async function handler(e) { const f = async () => 1; return e; }'],
    ['async function expression', 'async function handler(e) { const f = async function () {}; return e; }'],
    ['spread', 'function handler(e) { return [...e]; }'],
    ['object spread', 'function handler(e) { return { ...e }; }'],
    ['destructuring', 'function handler(e) { const { request } = e; return request; }'],
    ['default parameter', 'function handler(e = 1) { return e; }'],
    ['class', 'class A {} function handler(e) { return e; }'],
    ['optional chaining', 'function handler(e) { return e?.request; }'],
    ['nullish coalescing', 'function handler(e) { return e ?? 1; }'],
    ['shorthand property', 'function handler(e) { return { e }; }'],
    ['computed property', "function handler(e) { return { ['a']: e }; }"],
    ['method shorthand', 'function handler(e) { return { f() {} }; }'],
    ['generator', 'function* g() {} function handler(e) { return e; }'],
    ['tagged template', 'function handler(e) { return String.raw`x`; }'],
    ['sticky regex flag', 'function handler(e) { return /a/y.test(e); }'],
    ['another module', "import fs from 'fs'; function handler(e) { return e; }"],
    ['no handler', 'function other(e) { return e; }'],
  ];
  for (const [what, code] of refused) {
    it(`refuses ${what}`, () => expect(subsetViolations(code)).not.toEqual([]));
  }

  it('accepts what the runtime documents: let/const, arrows, rest, templates, for-in, **, whole-statement await', () => {
    const code = `import crypto from 'crypto'; import cf from 'cloudfront';
      const sq = (x) => x ** 2; function f(...xs) { return xs.length; }
      async function handler(event) { let v; v = await cf.kvs().get('k'); const w = await cf.kvs().get('j');
        for (const k in event) { if (k) continue; } return \`\${sq(2)}\${f(1, 2)}\${v}\${w}\`; }`;
    expect(subsetViolations(code)).toEqual([]);
  });

  it('finds nothing to refuse in the generated function, and terser keeps it so', () => {
    expect(subsetViolations(viewerFunctionCode(repoConfig))).toEqual([]);
    // Minifying never introduces newer syntax: for-of stays refused after terser.
    expect(subsetViolations(minify('async function handler(e) { for (const x of e) {} return e; }'))).not.toEqual([]);
  });

  it('keeps double-quoted strings intact (the old regex minifier mangled them)', () => {
    const code = viewerFunctionCode(repoConfig);
    expect(code).toContain('unknown fit; expected ');
    expect(code).toContain('"cover","contain","fill","inside","outside"');
  });
});

describe('size', () => {
  it(`stays under 9 KB, well inside CloudFront's ${MAX_FUNCTION_BYTES}-byte limit, whatever the tenant count`, () => {
    const size = Buffer.byteLength(viewerFunctionCode(repoConfig), 'utf8');
    console.log(`viewer function: ${size} bytes of ${MAX_FUNCTION_BYTES}`);
    expect(size).toBeLessThan(9 * 1024);
  });
});
