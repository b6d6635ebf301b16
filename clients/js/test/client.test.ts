/**
 * The client against the project's own references: the shared canonical vectors (every URL the
 * client builds must canonicalise, through the `imgfront` binary, to the vector's expected path),
 * the shared signing vectors under both crypto backends, and the shipped configuration.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { DEFAULT_CONFIG, ImgfrontError, type ImageParams, type UrlConfig, imageUrl, signUrl, signingString, srcSet } from '../src/index.js';
import loader, { createLoader, nextImageSizes } from '../src/next.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const json = (path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8'));

/** The `imgfront` binary the Rust build made (`cargo build -p imgfront`), or IMGFRONT_BIN. */
function binary(): string {
  const bin = process.env.IMGFRONT_BIN ?? join(ROOT, 'target/debug/imgfront');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run cargo build -p imgfront first (or set IMGFRONT_BIN)`);
  return bin;
}

/** Canonical paths (or `error KIND …`) of `lines` (`URL<TAB>ACCEPT`) under `config`, in one process. */
function canon(lines: string[], config: string): string[] {
  const out = execFileSync(binary(), ['--config', join(ROOT, config), 'canon', '--stdin'], { input: lines.join('\n') + '\n' });
  return out.toString().trimEnd().split('\n');
}

function configOf(c: {
  breakpoints: { width: number[]; height: number[] };
  quality: { allowed: number[]; default: { jpeg: number; webp: number; avif: number } };
  limits: { max_width: number; max_height: number };
  unsigned: { bg: string[]; blur: number[]; sharpen: number[] };
}): UrlConfig {
  return {
    widths: c.breakpoints.width,
    heights: c.breakpoints.height,
    qualities: c.quality.allowed,
    defaultQuality: c.quality.default,
    maxWidth: c.limits.max_width,
    maxHeight: c.limits.max_height,
    unsigned: { bg: c.unsigned.bg, blur: c.unsigned.blur, sharpen: c.unsigned.sharpen },
  };
}

const NUMERIC = new Set(['w', 'h', 'dpr', 'q', 'blur', 'sharpen', 'rot']);
const NAMES = new Set(['w', 'h', 'dpr', 'fit', 'pos', 'fmt', 'q', 'blur', 'sharpen', 'rot', 'flip', 'bg']);

/** Percent-decoding that treats malformed escapes (junk in some vectors) as undecodable. */
function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** A vector's query as the client's parameters: recognised names only, as an app would pass them. */
function paramsOf(query: string): ImageParams {
  const params: Record<string, string | number> = {};
  for (const item of query.split('&')) {
    if (!item) continue;
    const [rawName = '', rawValue = ''] = item.split('=');
    const name = decode(rawName)?.toLowerCase() ?? '';
    const value = decode(rawValue);
    if (!NAMES.has(name) || value === undefined) continue;
    params[name] = NUMERIC.has(name) ? Number(value) : value;
  }
  return params as ImageParams;
}

describe('configuration', () => {
  it('ships the defaults of imgfront.json', () => {
    expect(DEFAULT_CONFIG).toEqual(configOf(json('imgfront.json')));
  });
});

describe('imageUrl on the shared canonical vectors', () => {
  const vectors = json('tests/vectors/canonical.json');
  const config = configOf(json('tests/vectors/config.json'));
  type Case = { name: string; path: string; query: string; accept: string | null; expect: { canonical?: string } };
  const cases = (vectors.cases as Case[]).filter((c) => c.expect.canonical !== undefined);

  it('builds a URL that canonicalises to every expected path and is already in canonical form', () => {
    expect(cases.length).toBeGreaterThan(120);
    const vectorConfig = json('tests/vectors/config.json') as { tenants: { id: string; access: string }[] };
    const signed = (path: string) => vectorConfig.tenants.some((t) => t.access === 'private' && path.startsWith(`/${t.id}/`));
    const built = cases.map((c) => imageUrl('', decode(c.path) ?? c.path, paramsOf(c.query), { config, signed: signed(c.path) }));
    const got = canon(
      built.map((url, i) => `${url}\t${cases[i]?.accept ?? ''}`),
      'tests/vectors/config.json',
    );
    const wrong = cases
      .map((c, i) => ({ name: c.name, url: built[i], got: got[i], want: c.expect.canonical }))
      .filter((r) => r.got !== r.want);
    expect(wrong).toEqual([]);
    // Already canonical: outside fmt=auto (resolved per viewer), the URL's parameters are the
    // canonical path's operations themselves, so the edge has nothing left to rewrite.
    for (const [i, c] of cases.entries()) {
      const url = built[i] ?? '';
      if (url.includes('fmt=auto')) continue;
      const ops = (c.expect.canonical ?? '').split('/').pop() ?? '_';
      const want = ops === '_' ? '' : ops.split(',').map((op) => op.replace('_', '=')).join('&');
      expect(url.split('?')[1] ?? '', c.name).toBe(want);
    }
  });

  it('refuses what the edge would refuse, with the reason', () => {
    expect(() => imageUrl('', 'demo/a.jpg', { w: 99999 })).toThrow(ImgfrontError);
    expect(() => imageUrl('', 'demo/a.jpg', { w: 99999 })).toThrow(/w=99999 must be a whole number from 1 to 4096/);
    expect(() => imageUrl('', 'demo/a.jpg', { rot: 45 })).toThrow(/multiple of 90/);
    expect(() => imageUrl('', 'demo/a.jpg', { bg: 'red' })).toThrow(/hex colour/);
  });

  it('encodes keys one way and drops defaults', () => {
    expect(imageUrl('https://img.example/', 'demo/red shoe été.jpg', { w: 300, dpr: 2, fit: 'cover', q: 80, fmt: 'jpg' })).toBe(
      'https://img.example/demo/red%20shoe%20%C3%A9t%C3%A9.jpg?fmt=jpeg&w=640',
    );
  });
});

describe('signUrl on the shared signing vectors', () => {
  const cases = json('tests/vectors/signing.json').cases as { name: string; url: string; secret: string; signing_string: string; sig: string }[];
  for (const backend of ['webcrypto', 'node'] as const) {
    it(`signs every vector as Rust, Python and the edge do (${backend})`, async () => {
      expect(cases.length).toBeGreaterThanOrEqual(8);
      for (const c of cases) {
        expect(signingString(c.url), c.name).toBe(c.signing_string);
        const sep = c.url.includes('?') ? '&' : '?';
        expect(await signUrl(c.url, c.secret, { backend }), c.name).toBe(`${c.url}${sep}sig=${c.sig}`);
      }
    });
  }

  it('signs the expiry it appends', async () => {
    const signed = await signUrl('https://img.example/acme/logo.png?w=160', 'k1', { exp: 1900000000 });
    const vector = cases.find((c) => c.url === '/acme/logo.png?w=160&exp=1900000000');
    expect(signed).toBe(`https://img.example/acme/logo.png?w=160&exp=1900000000&sig=${vector?.sig}`);
  });
});

describe('srcSet', () => {
  it('lists one canonical candidate per breakpoint, described by its width', () => {
    const set = srcSet('', 'demo/harbour.jpg', { widths: [300, 310, 640, 650, 5000], sizes: '(max-width: 600px) 100vw, 600px' });
    const candidates = set.srcset.split(', ').map((c) => c.split(' '));
    expect(candidates.map((c) => c[1])).toEqual(['320w', '640w', '720w', '4096w']);
    const paths = canon(candidates.map((c) => `${c[0]}\timage/webp`), 'imgfront.json');
    expect(paths).toEqual(candidates.map((c) => `/demo/harbour.jpg/fmt_webp,w_${c[1]?.replace('w', '')}`));
    expect(set.sizes).toBe('(max-width: 600px) 100vw, 600px');
    expect(set.src).toBe('/demo/harbour.jpg?fmt=auto&w=720');
  });
});

describe('Next.js loader', () => {
  it('snaps widths, negotiates the format and passes the quality through', () => {
    const load = createLoader('https://img.example');
    expect(load({ src: '/demo/harbour.jpg', width: 750, quality: 75 })).toBe('https://img.example/demo/harbour.jpg?fmt=auto&q=75&w=800');
    expect(load({ src: 'demo/harbour.jpg', width: 3840 })).toBe('https://img.example/demo/harbour.jpg?fmt=auto&w=3840');
    // Every width Next.js asks for by default lands on a breakpoint.
    for (const width of [640, 750, 828, 1080, 1200, 1920, 2048, 3840]) {
      const w = Number(new URL(load({ src: 'demo/a.jpg', width })).searchParams.get('w'));
      expect(DEFAULT_CONFIG.widths).toContain(w);
    }
    expect(loader({ src: 'demo/a.jpg', width: 100 })).toBe('/demo/a.jpg?fmt=auto&w=128');
    // With the breakpoints as Next's sizes, every requested width is its own URL's width.
    const { deviceSizes, imageSizes } = nextImageSizes();
    for (const width of [...imageSizes, ...deviceSizes]) {
      expect(new URL(load({ src: 'demo/a.jpg', width })).searchParams.get('w')).toBe(String(width));
    }
  });
});
