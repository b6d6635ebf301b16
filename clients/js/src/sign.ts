/**
 * Signatures for private tenants' URLs: HMAC-SHA256 over the signing string, base64url. For
 * servers only; WebCrypto where it exists, else Node's crypto.
 */
import { ImgfrontError } from './url.js';

/** Parameter names that are signed (every recognised one but `sig`). */
const SIGNED = new Set(['w', 'h', 'dpr', 'fit', 'pos', 'fmt', 'q', 'blur', 'sharpen', 'rot', 'flip', 'bg', 'exp']);

/**
 * The string a signature covers: the decoded path, then every recognised parameter except
 * `sig` as `name=value` (lower-case name, decoded value), sorted by name, joined by `&`.
 */
export function signingString(url: string): string {
  const rest = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  const at = rest.indexOf('?');
  const path = at < 0 ? rest : rest.slice(0, at);
  const query = at < 0 ? '' : rest.slice(at + 1);
  const pairs: [string, string][] = [];
  for (const item of query.split('&')) {
    if (!item) continue;
    const eq = item.indexOf('=');
    const name = decodeURIComponent(eq < 0 ? item : item.slice(0, eq)).toLowerCase();
    if (SIGNED.has(name)) pairs.push([name, decodeURIComponent(eq < 0 ? '' : item.slice(eq + 1))]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return `${decodeURIComponent(path)}?${pairs.map(([n, v]) => `${n}=${v}`).join('&')}`;
}

function base64url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** HMAC-SHA256 with WebCrypto where it exists (browsers, workers, Node 20+), else Node's crypto. */
async function hmacSha256(secret: Uint8Array, message: string): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle) {
    const key = await subtle.importKey('raw', new Uint8Array(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return new Uint8Array(await subtle.sign('HMAC', key, new TextEncoder().encode(message)));
  }
  const nodeCrypto = (await import(/* webpackIgnore: true */ 'node:crypto' as string)) as {
    createHmac(alg: string, key: Uint8Array): { update(m: string): { digest(): Uint8Array } };
  };
  return new Uint8Array(nodeCrypto.createHmac('sha256', secret).update(message).digest());
}

export interface SignOptions {
  /** Expiry, Unix seconds; signed with the rest. At most a year ahead. */
  exp?: number;
  /** Force a backend (tests); by default WebCrypto when present. */
  backend?: 'webcrypto' | 'node';
}

/**
 * Signs a viewer URL for a private tenant: appends `exp` (if given) and `sig`. For servers:
 * the secret must never reach a browser.
 */
export async function signUrl(url: string, secret: string | Uint8Array, options: SignOptions = {}): Promise<string> {
  let signed = url;
  if (options.exp !== undefined) {
    if (!Number.isInteger(options.exp) || options.exp <= 0) throw new ImgfrontError(`exp=${options.exp} must be Unix seconds`);
    signed += `${signed.includes('?') ? '&' : '?'}exp=${options.exp}`;
  }
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  const message = signingString(signed);
  let mac: Uint8Array;
  if (options.backend === 'node') {
    const nodeCrypto = (await import(/* webpackIgnore: true */ 'node:crypto' as string)) as {
      createHmac(alg: string, key: Uint8Array): { update(m: string): { digest(): Uint8Array } };
    };
    mac = new Uint8Array(nodeCrypto.createHmac('sha256', key).update(message).digest());
  } else {
    mac = await hmacSha256(key, message);
  }
  return `${signed}${signed.includes('?') ? '&' : '?'}sig=${base64url(mac)}`;
}

