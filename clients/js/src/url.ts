/**
 * Viewer URLs in their canonical spelling (widths snapped to the breakpoints, defaults and
 * unknown parameters left out, names sorted), so two components asking for the same image never
 * mint two cache objects; and `srcset` candidates built from them. Safe in browsers.
 */

/** The parts of `imgfront.json` URLs depend on; the defaults are the shipped configuration. */
export interface UrlConfig {
  /** Ascending device-pixel widths and heights; a request snaps up to the next one. */
  widths: readonly number[];
  heights: readonly number[];
  /** Ascending qualities; a request snaps up to the next one. */
  qualities: readonly number[];
  defaultQuality: { jpeg: number; webp: number; avif: number };
  maxWidth: number;
  maxHeight: number;
  /** What a public tenant's (unsigned) URL may use: `bg` colours, `blur` and `sharpen` steps. */
  unsigned: { bg: readonly string[]; blur: readonly number[]; sharpen: readonly number[] };
}

/** How a URL is built: under which configuration, and whether it will be signed. */
export interface UrlOptions {
  config?: UrlConfig;
  /** A private tenant's URL, signed afterwards with `signUrl`: any value may be used. */
  signed?: boolean;
}

const GRID = [
  16, 32, 48, 64, 96, 128, 160, 200, 240, 320, 400, 480, 560, 640, 720, 800, 960, 1080, 1200, 1280, 1440, 1600,
  1920, 2048, 2560, 3072, 3840, 4096,
];

export const DEFAULT_CONFIG: UrlConfig = {
  widths: GRID,
  heights: GRID,
  qualities: [20, 30, 40, 50, 60, 65, 70, 75, 80, 85, 90, 95, 100],
  defaultQuality: { jpeg: 80, webp: 80, avif: 50 },
  maxWidth: 4096,
  maxHeight: 4096,
  unsigned: {
    bg: ["ffffff", "000000", "f5f5f5", "eeeeee", "cccccc", "808080", "333333", "00000000"],
    blur: [0.5, 1, 2, 3, 5, 8, 13, 20, 50, 100],
    sharpen: [0.5, 1, 1.5, 2, 3, 5, 10],
  },
};

export type Fit = 'cover' | 'contain' | 'fill' | 'inside' | 'outside';
export type Format = 'auto' | 'jpeg' | 'jpg' | 'png' | 'webp' | 'avif' | 'gif';

/** What an image URL asks for; the URL API's parameters. */
export interface ImageParams {
  w?: number;
  h?: number;
  dpr?: number;
  fit?: Fit;
  pos?: string;
  fmt?: Format;
  q?: number;
  blur?: number;
  sharpen?: number;
  rot?: number;
  flip?: 'h' | 'v' | 'hv' | 'vh' | 'both';
  bg?: string;
}

/** A request the URL API would refuse, named as the edge names it. */
export class ImgfrontError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImgfrontError';
  }
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** A key's path: RFC 3986 unreserved bytes stay, `/` separates, every other byte is `%XX`. */
export function encodeKey(key: string): string {
  const bytes = new TextEncoder().encode(key.replace(/^\/+/, ''));
  let out = '';
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    out += b < 0x80 && (UNRESERVED.test(ch) || ch === '/') ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function snapUp(value: number, steps: readonly number[]): number {
  for (const s of steps) if (s >= value) return s;
  return steps[steps.length - 1] ?? value;
}

function whole(name: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 1 || v > max) {
    throw new ImgfrontError(`${name}=${v} must be a whole number from 1 to ${max}`);
  }
  return v;
}

function sigma(name: string, v: number, max: number, steps?: readonly number[]): string | undefined {
  // Rounded to a tenth first, as the edge does (0.25 is 0.3).
  const r = Math.round(v * 10) / 10;
  if (!(r === 0 || (r >= 0.3 && r <= max))) throw new ImgfrontError(`${name}=${v} must be 0 or 0.3-${max}`);
  if (r === 0) return undefined;
  // An unsigned URL snaps up to the next configured step (the last if above them all).
  return String(steps && steps.length > 0 ? (steps.find((s) => s >= r) ?? steps[steps.length - 1]) : r);
}

/** A hex colour in its canonical spelling: six digits, or eight when not opaque. */
function hexColour(raw: string): string {
  const h = raw.replace(/^#/, '').toLowerCase();
  if (!/^([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/.test(h)) throw new ImgfrontError(`bg=${raw} is not a hex colour`);
  const long = h.length <= 4 ? [...h].map((c) => c + c).join('') : h;
  return long.length === 8 && long.endsWith('ff') ? long.slice(0, 6) : long;
}

/** Crop gravities by every name the edge accepts (sharp's compass aliases included). */
const POSITIONS: Record<string, string> = {
  center: 'center', centre: 'center', top: 'top', north: 'top', bottom: 'bottom', south: 'bottom',
  left: 'left', west: 'left', right: 'right', east: 'right',
  'top-left': 'top-left', 'left-top': 'top-left', northwest: 'top-left',
  'top-right': 'top-right', 'right-top': 'top-right', northeast: 'top-right',
  'bottom-left': 'bottom-left', 'left-bottom': 'bottom-left', southwest: 'bottom-left',
  'bottom-right': 'bottom-right', 'right-bottom': 'bottom-right', southeast: 'bottom-right',
  entropy: 'entropy', attention: 'attention',
};

/** The canonical query parameters for `params`, sorted by name. */
export function canonicalParams(params: ImageParams, options: UrlOptions = {}): [string, string][] {
  const config = options.config ?? DEFAULT_CONFIG;
  const limits = options.signed ? undefined : config.unsigned;
  const out: [string, string][] = [];
  // In thousandths, as the edge reads it (1.0001 is 1).
  const dprMilli = Math.round((params.dpr ?? 1) * 1000);
  if (!(dprMilli >= 1000 && dprMilli <= 4000)) throw new ImgfrontError(`dpr=${params.dpr} must be 1-4`);
  const box = (name: 'w' | 'h', v: number | undefined, max: number, steps: readonly number[]) => {
    if (v === undefined) return undefined;
    const px = Math.min(Math.ceil((whole(name, v, max) * dprMilli) / 1000), max);
    return snapUp(px, steps);
  };
  const w = box('w', params.w, config.maxWidth, config.widths);
  const h = box('h', params.h, config.maxHeight, config.heights);
  if (w !== undefined) out.push(['w', String(w)]);
  if (h !== undefined) out.push(['h', String(h)]);
  const both = w !== undefined && h !== undefined;
  const fit = params.fit?.toLowerCase() ?? 'cover';
  if (!['cover', 'contain', 'fill', 'inside', 'outside'].includes(fit)) throw new ImgfrontError(`fit=${params.fit} is not a fit`);
  if (fit !== 'cover' && both) out.push(['fit', fit]);
  if (params.pos !== undefined) {
    const pos = POSITIONS[params.pos.toLowerCase()];
    if (pos === undefined) throw new ImgfrontError(`pos=${params.pos} is not a position`);
    if (fit === 'cover' && both && pos !== 'center') out.push(['pos', pos]);
  }
  let fmt = params.fmt?.toLowerCase() as Format | undefined;
  if (fmt === 'jpg') fmt = 'jpeg';
  if (fmt) out.push(['fmt', fmt]);
  if (params.q !== undefined) {
    const q = snapUp(whole('q', params.q, 100), config.qualities);
    const lossless = fmt === 'png' || fmt === 'gif';
    const isDefault = fmt === 'jpeg' || fmt === 'webp' || fmt === 'avif' ? config.defaultQuality[fmt] === q : false;
    if (!lossless && !isDefault) out.push(['q', String(q)]);
  }
  const blur = params.blur === undefined ? undefined : sigma('blur', params.blur, 100, limits?.blur);
  if (blur) out.push(['blur', blur]);
  const sharpen = params.sharpen === undefined ? undefined : sigma('sharpen', params.sharpen, 10, limits?.sharpen);
  if (sharpen) out.push(['sharpen', sharpen]);
  // Rotation and flip reduce to one of 8 symmetries: a mirror (applied first) and quarter turns.
  let turns = 0;
  let mirror = false;
  if (params.flip !== undefined) {
    const f = String(params.flip).toLowerCase();
    if (f === 'h') mirror = true;
    else if (f === 'v') [mirror, turns] = [true, 2];
    else if (f === 'hv' || f === 'vh' || f === 'both') turns = 2;
    else throw new ImgfrontError(`flip=${params.flip} must be h, v or hv`);
  }
  if (params.rot !== undefined) {
    if (!Number.isInteger(params.rot) || params.rot % 90 !== 0 || Math.abs(params.rot) > 360) {
      throw new ImgfrontError(`rot=${params.rot} must be a multiple of 90 from -360 to 360`);
    }
    turns = (((turns + params.rot / 90) % 4) + 4) % 4;
  }
  if (turns !== 0) out.push(['rot', String(turns * 90)]);
  if (mirror) out.push(['flip', 'h']);
  if (params.bg !== undefined) {
    const bg = hexColour(params.bg);
    if (limits && !limits.bg.some((c) => hexColour(c) === bg)) {
      throw new ImgfrontError(`bg ${bg} is not in the palette unsigned URLs may use: ${limits.bg.join('|')}`);
    }
    // Used only to pad a contain box or to flatten alpha into a format without it (JPEG, which
    // fmt=auto and the source's own format may turn out to be).
    const pads = both && fit === 'contain';
    const flattens = fmt === undefined || fmt === 'jpeg' || fmt === 'auto';
    if (bg !== 'ffffff' && (pads || flattens)) out.push(['bg', bg]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The shortest viewer URL for `key` (`tenant/path/img.jpg`) with `params`, under `base`. */
export function imageUrl(base: string, key: string, params: ImageParams = {}, options: UrlOptions = {}): string {
  const query = canonicalParams(params, options)
    .map(([n, v]) => `${n}=${v}`)
    .join('&');
  return `${base.replace(/\/+$/, '')}/${encodeKey(key)}${query ? `?${query}` : ''}`;
}

export interface SrcSetOptions {
  /** Candidate widths in px (snapped up to breakpoints; duplicates dropped). Default: 320-2560. */
  widths?: readonly number[];
  /** The `sizes` attribute. Default `100vw`. */
  sizes?: string;
  /** Everything but `w` (e.g. `{ fmt: 'auto' }`, the default). */
  params?: Omit<ImageParams, 'w' | 'dpr'>;
  config?: UrlConfig;
  signed?: boolean;
}

/** `src`, `srcset` and `sizes` for an `<img>`: one canonical candidate per breakpoint. */
export function srcSet(base: string, key: string, options: SrcSetOptions = {}): { src: string; srcset: string; sizes: string } {
  const config = options.config ?? DEFAULT_CONFIG;
  const widths = options.widths ?? config.widths.filter((w) => w >= 320 && w <= 2560);
  const params = options.params ?? { fmt: 'auto' as const };
  const seen = new Map<number, string>();
  for (const want of widths) {
    const w = snapUp(Math.min(Math.ceil(want), config.maxWidth), config.widths);
    if (!seen.has(w)) seen.set(w, imageUrl(base, key, { ...params, w }, { config, signed: options.signed }));
  }
  const candidates = [...seen.entries()].sort((a, b) => a[0] - b[0]);
  const middle = candidates[Math.floor(candidates.length / 2)];
  return {
    src: middle ? middle[1] : imageUrl(base, key, params, { config, signed: options.signed }),
    srcset: candidates.map(([w, url]) => `${url} ${w}w`).join(', '),
    sizes: options.sizes ?? '100vw',
  };
}
