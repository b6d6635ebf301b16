// imgfront viewer-request CloudFront Function: the JavaScript twin of crates/spec. Normalises a
// viewer URL to the canonical path (the only cache key), resolves fmt=auto from Accept, checks the
// tenant's Referer allowlist and, for private tenants, the signature. Tenants and signing keys
// live in the KeyValueStore, so the code does not grow with the tenant count.
//
// Written for cloudfront-js-2.0, which is ES 5.1 plus a short list of additions: no for-of, no
// spread or destructuring, no classes, and `await` only as a whole statement's value inside the
// one async function. lib/viewer-function.ts refuses anything else after minifying, and the tests
// run the result under njs, the engine whose subset CloudFront documents.
import crypto from 'crypto';
import cf from 'cloudfront';

const C = __CONFIG__;
C.bh = C.bh || C.bw;
const kvs = cf.kvs();
const NAMES = ['w', 'h', 'dpr', 'fit', 'pos', 'fmt', 'q', 'blur', 'sharpen', 'rot', 'flip', 'bg', 'sig', 'exp'];
const FITS = ['cover', 'contain', 'fill', 'inside', 'outside'];
const POS_NAMES = ['center', 'top', 'bottom', 'left', 'right', 'top-left', 'top-right', 'bottom-left', 'bottom-right', 'entropy', 'attention'];
// Aliases, each followed by the index of the POS_NAMES entry it stands for.
const POS_ALIAS = Object.create(null);
'centre0north1south2west3east4left-top5northwest5right-top6northeast6left-bottom7southwest7right-bottom8southeast8'
  .replace(/([a-z-]+)(\d)/g, (m, alias, i) => { POS_ALIAS[alias] = POS_NAMES[i]; return ''; });
const FORMATS = { jpeg: 'jpeg', jpg: 'jpeg', png: 'png', webp: 'webp', avif: 'avif', gif: 'gif' };
const FLIPS = { h: [0, true], v: [2, true], hv: [2, false], vh: [2, false], both: [2, false] };

const BAD = 'bad_value';
const RANGE = 'out_of_range';

// Own properties only: request data such as 'constructor' or '__proto__' must never find
// Object.prototype's members.
const get = (o, k) => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

function fail(kind, message) {
  const e = new Error(message);
  e.kind = kind;
  throw e;
}

// %XX decoding to UTF-8 text; null on a malformed escape or invalid UTF-8 (as Rust).
function decode(raw, plus) {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '%') {
      const h = raw.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return null;
      out += '%' + h;
      i += 2;
    } else {
      out += c === '+' && plus ? ' ' : c; // decodeURIComponent leaves literal characters alone
    }
  }
  try {
    return decodeURIComponent(out);
  } catch (e) {
    return null;
  }
}

function bytes(s) {
  try {
    return encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, 'x').length;
  } catch (e) {
    return s.length * 3;
  }
}

// The one canonical spelling: RFC 3986 unreserved bytes stay, every other byte is %XX in
// uppercase hex (Rust's Key::to_url_path).
const encodeSegment = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

function parseKey(path) {
  if (path[0] !== '/') fail('bad_path', "path must start with '/'");
  const segs = path.slice(1).split('/');
  for (let i = 0; i < segs.length; i++) {
    segs[i] = decode(segs[i], false);
    if (segs[i] === null) fail('bad_encoding', 'invalid percent-encoding or UTF-8 in path');
  }
  if (segs.length < 2 || (segs.length === 2 && segs[1] === '')) {
    fail('bad_path', 'path must be /{tenant}/{key} with a non-empty key');
  }
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    if (s === '') fail('bad_path', 'empty path segment (double or trailing slash)');
    if (s === '.' || s === '..') fail('traversal', "path segment '" + s + "' is not allowed");
    if (s.indexOf('\\') >= 0) fail('traversal', 'backslash in path is not allowed');
    if (s.indexOf('/') >= 0) fail('traversal', 'encoded slash (%2F) in path is not allowed');
    if (/[\u0000-\u001f\u007f-\u009f]/.test(s)) fail('bad_path', 'control character in path is not allowed');
    if (/%[0-9a-fA-F]{2}/.test(s)) fail('bad_encoding', 'double percent-encoding in path is not allowed');
  }
  const key = segs.join('/');
  if (bytes(key) > C.maxKey) fail('too_long', 'key is ' + bytes(key) + ' bytes; the maximum is ' + C.maxKey);
  if (!/^[a-z0-9-]{1,63}$/.test(segs[0])) fail('unknown_tenant', "unknown tenant '" + segs[0].slice(0, 40) + "'");
  return { key: key, tenant: segs[0], url: '/' + segs.map(encodeSegment).join('/') };
}

function parseParams(query) {
  if (bytes(query) > C.maxQuery) fail('too_long', 'query string is ' + bytes(query) + ' bytes; the maximum is ' + C.maxQuery);
  const p = Object.create(null);
  const pairs = query.split('&');
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i];
    const eq = pair.indexOf('=');
    let name = pair === '' ? null : decode(eq < 0 ? pair : pair.slice(0, eq), true);
    if (name === null) continue;
    name = lower(name);
    if (NAMES.indexOf(name) < 0) continue;
    const value = decode(eq < 0 ? '' : pair.slice(eq + 1), true);
    if (value === null) fail('bad_encoding', "value of '" + name + "' is not valid percent-encoded UTF-8");
    if (name in p) fail('repeated_param', "parameter '" + name + "' is given more than once");
    if (bytes(value) > C.maxValue) fail('too_long', "value of '" + name + "' is too long");
    if (value === '') fail(BAD, "parameter '" + name + "' needs a value");
    p[name] = value;
  }
  return p;
}

const lower = (v) => v.replace(/[A-Z]/g, (c) => c.toLowerCase());
const uint = (v) => (/^[0-9]+$/.test(v) ? Number(v) : null);
const milli = (v) => (/^[0-9]+(\.[0-9]+)?$/.test(v) ? Math.round(parseFloat(v) * 1000) : null);
function snap(grid, v) {
  for (let i = 0; i < grid.length; i++) if (grid[i] >= v) return grid[i];
  return grid[grid.length - 1];
}
const range = (n, v, r) => fail(RANGE, n + '=' + v.slice(0, 40) + ' is outside the range ' + r);

function dimension(n, v, max) {
  const x = uint(v);
  if (x === null) fail(BAD, n + ' must be a whole number of pixels');
  if (x === 0) fail(RANGE, n + '=0 is below the minimum 1');
  if (x > max) fail(RANGE, n + '=' + v.slice(0, 40) + ' exceeds the maximum ' + max);
  return x;
}

// A sigma in tenths, formatted; unsigned URLs snap up to the configured steps.
function sigma(n, v, maxTenths, steps) {
  const m = milli(v);
  if (m === null) fail(BAD, n + ' must be a decimal number such as 2 or 0.5');
  if (m === 0) return null;
  let t = Math.floor((m + 50) / 100);
  if (t < 3 || t > maxTenths) range(n, v, '0.3-' + maxTenths / 10 + ' (or 0 for none)');
  if (steps) t = snap(steps, t);
  return t % 10 ? Math.floor(t / 10) + '.' + (t % 10) : String(t / 10);
}

function negotiate(accept) {
  const ok = (want) => (accept || '').split(',').some((r) => {
    const parts = r.split(';');
    if (lower(parts[0].trim()) !== want) return false;
    return !parts.slice(1).some((x) => /^q\s*=\s*0(\.0{0,3})?$/i.test(x.trim()));
  });
  return ok('image/avif') ? 'avif' : ok('image/webp') ? 'webp' : 'jpeg';
}

function hex(v) {
  const h = lower(v).replace(/^#/, '');
  if (!/^[0-9a-f]+$/.test(h) || [3, 4, 6, 8].indexOf(h.length) < 0) {
    fail(BAD, 'bg must be a hex colour (rgb, rgba, rrggbb or rrggbbaa)');
  }
  let full = h.length <= 4 ? h.replace(/(.)/g, '$1$1') : h;
  if (full.length === 8 && full.slice(6) === 'ff') full = full.slice(0, 6);
  return full;
}

// Validates and normalises every operation, in Rust's order; returns the canonical ops segment.
// `unsigned` (a public tenant) limits bg to the palette and snaps blur and sharpen to steps, so
// no unsigned URL can mint unbounded cache keys.
function ops(p, accept, unsigned) {
  let w = 'w' in p ? dimension('w', p.w, C.maxW) : null;
  let h = 'h' in p ? dimension('h', p.h, C.maxH) : null;
  let dpr = 1000;
  if ('dpr' in p) {
    dpr = milli(p.dpr);
    if (dpr === null) fail(BAD, 'dpr must be a decimal number such as 2 or 1.5');
    if (dpr < 1000 || dpr > 4000) range('dpr', p.dpr, '1-4');
  }
  const device = (css, max, grid) => snap(grid, Math.min(Math.ceil((css * dpr) / 1000), max));
  if (w !== null) w = device(w, C.maxW, C.bw);
  if (h !== null) h = device(h, C.maxH, C.bh);
  let fit = 'cover';
  let pos = 'center';
  let fmt = null;
  let q = null;
  let mirror = false;
  let bg = null;
  if ('fit' in p) {
    fit = lower(p.fit);
    if (FITS.indexOf(fit) < 0) fail(BAD, 'unknown fit; expected ' + FITS.join('|'));
  }
  if ('pos' in p) {
    const v = lower(p.pos);
    pos = get(POS_ALIAS, v) || (POS_NAMES.indexOf(v) >= 0 ? v : null);
    if (!pos) fail(BAD, 'unknown pos; expected ' + POS_NAMES.join('|'));
  }
  if ('fmt' in p) {
    const f = lower(p.fmt);
    fmt = f === 'auto' ? negotiate(accept) : get(FORMATS, f);
    if (!fmt) fail(BAD, 'unknown fmt; expected auto|jpeg|png|webp|avif|gif');
  }
  if ('q' in p) {
    q = uint(p.q);
    if (q === null) fail(BAD, 'q must be a whole number');
    if (q < 1 || q > 100) range('q', p.q, '1-100');
    q = snap(C.qAllowed, q);
  }
  const blur = 'blur' in p ? sigma('blur', p.blur, 1000, unsigned && C.bs) : null;
  const sharpen = 'sharpen' in p ? sigma('sharpen', p.sharpen, 100, unsigned && C.ss) : null;
  let turns = 0;
  if ('rot' in p) {
    const neg = p.rot[0] === '-';
    const n = uint(neg ? p.rot.slice(1) : p.rot);
    if (n === null || n % 90 || n > 360) fail(BAD, 'rot must be a multiple of 90 between -360 and 360');
    turns = neg ? (4 - ((n / 90) % 4)) % 4 : (n / 90) % 4;
  }
  if ('flip' in p) {
    const f = get(FLIPS, lower(p.flip));
    if (!f) fail(BAD, 'unknown flip; expected h|v|hv');
    // flip first, then rot (mirroring then rotating; see Orientation::then in Rust).
    turns = (f[0] + turns) % 4;
    mirror = f[1];
  }
  if ('bg' in p) {
    bg = hex(p.bg);
    if (unsigned && C.pal.indexOf(bg) < 0) {
      fail(RANGE, 'bg ' + bg + ' is not in the palette unsigned URLs may use: ' + C.pal.join('|'));
    }
  }
  if ('exp' in p && uint(p.exp) === null) fail(BAD, 'exp must be a Unix time in whole seconds');

  // Normalise: drop whatever cannot change the bytes.
  if (fmt && (['jpeg', 'webp', 'avif'].indexOf(fmt) < 0 || q === C.qDefault[fmt])) q = null;
  const boxed = w !== null && h !== null;
  if (!boxed) fit = 'cover';
  if (!(boxed && fit === 'cover')) pos = 'center';
  if (bg === 'ffffff' || !((boxed && fit === 'contain') || !fmt || fmt === 'jpeg')) bg = null;

  const parts = [];
  if (bg) parts.push('bg_' + bg);
  if (blur) parts.push('blur_' + blur);
  if (fit !== 'cover') parts.push('fit_' + fit);
  if (mirror) parts.push('flip_h');
  if (fmt) parts.push('fmt_' + fmt);
  if (h !== null) parts.push('h_' + h);
  if (pos !== 'center') parts.push('pos_' + pos);
  if (q !== null) parts.push('q_' + q);
  if (turns) parts.push('rot_' + turns * 90);
  if (sharpen) parts.push('sharpen_' + sharpen);
  if (w !== null) parts.push('w_' + w);
  return parts.length ? parts.join(',') : '_';
}

// The Referer's host, as Rust's referer_host reads it.
function refererHost(r) {
  const s = r.indexOf('://');
  let h = (s < 0 ? r : r.slice(s + 3)).split(/[\/?#]/)[0];
  h = h.slice(h.lastIndexOf('@') + 1);
  return lower(h[0] === '[' ? h.slice(1).split(']')[0] : h.split(':')[0]);
}

// An empty list allows every site; `*.example.com` allows its subdomains, not itself.
function refererAllowed(list, referer) {
  if (!list || !list.length) return true;
  const host = refererHost(referer);
  return list.some((pattern) => {
    const p = lower(pattern);
    if (p.slice(0, 2) !== '*.') return host === p;
    return host.length > p.length - 1 && host.slice(1 - p.length) === p.slice(1);
  });
}

// Constant time over equal lengths: every byte is compared whatever the first mismatch.
function same(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

function verify(parsed, p, secrets, now) {
  if (!secrets || !secrets.length) fail('no_signing_key', 'tenant ' + parsed.tenant + ' is private and has no signing key');
  if (!('sig' in p)) fail('signature_missing', 'this tenant requires a signature (sig)');
  if ('exp' in p && Number(p.exp) <= now) fail('signature_expired', 'signature has expired');
  if ('exp' in p && Number(p.exp) > now + 31536000) fail('signature_expiry_too_far', 'exp is more than a year ahead');
  const names = Object.keys(p).filter((n) => n !== 'sig').sort();
  const signing = '/' + parsed.key + '?' + names.map((n) => n + '=' + p[n]).join('&');
  let ok = false;
  for (let i = 0; i < secrets.length; i++) {
    ok = same(crypto.createHmac('sha256', secrets[i]).update(signing).digest('base64url'), p.sig) || ok;
  }
  if (!ok) fail('signature_mismatch', 'signature does not match');
}

// CloudFront hands the query string over as an object; rebuild it in arrival order.
function rawQuery(qs) {
  const out = [];
  for (const name in qs) {
    const v = qs[name];
    const values = v.multiValue ? v.multiValue.map((m) => m.value) : [v.value];
    for (let i = 0; i < values.length; i++) out.push(values[i] === '' ? name : name + '=' + values[i]);
  }
  return out.join('&');
}

const STATUS = { moved: 301, unknown_tenant: 404, referer_not_allowed: 403, no_signing_key: 403, internal: 500 };

function answer(e) {
  const kind = e.kind || 'internal';
  const status = get(STATUS, kind) || (kind.slice(0, 4) === 'sign' ? 403 : 400);
  const headers = { 'content-type': { value: 'application/json' }, 'cache-control': { value: 'no-store' } };
  if (e.location) headers.location = { value: e.location };
  return {
    statusCode: status,
    headers: headers,
    body: {
      encoding: 'text',
      data: JSON.stringify({ error: kind, message: e.kind ? e.message : 'internal error in the viewer function' })
    }
  };
}

async function handler(event) {
  const req = event.request;
  try {
    const parsed = parseKey(req.uri);
    let raw = null;
    try {
      raw = await kvs.get(parsed.tenant);
    } catch (e) {
      fail('unknown_tenant', "unknown tenant '" + parsed.tenant + "'");
    }
    const tenant = JSON.parse(raw);
    const query = rawQuery(req.querystring || {});
    // One spelling per path: behaviors and WAF match the raw URI, so any other spelling of the
    // same key is sent to the canonical one before it can reach an object.
    if (parsed.url !== req.uri) {
      const moved = new Error('the canonical spelling of this path is ' + parsed.url);
      moved.kind = 'moved';
      moved.location = parsed.url + (query ? '?' + query : '');
      throw moved;
    }
    const p = parseParams(query);
    const h = req.headers;
    const segment = ops(p, h.accept ? h.accept.value : null, !tenant.p);
    if (h.referer && !refererAllowed(tenant.r, h.referer.value)) {
      fail('referer_not_allowed', 'tenant ' + parsed.tenant + ' does not allow embedding from this site');
    }
    if (tenant.p) {
      let secrets = null;
      try {
        secrets = await kvs.get('sig:' + parsed.tenant);
      } catch (e) {
        secrets = '[]';
      }
      verify(parsed, p, JSON.parse(secrets), Math.floor(Date.now() / 1000));
    }
    req.uri = parsed.url + '/' + segment;
    req.querystring = {};
    return req;
  } catch (e) {
    return answer(e);
  }
}
