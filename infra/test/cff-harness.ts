/**
 * Runs the generated CloudFront Function in Node the way CloudFront would: the `crypto` and
 * `cloudfront` imports are supplied (Node's HMAC, an in-memory KeyValueStore), and the event is
 * built like CloudFront's, with the query string as an object of raw (still encoded) values.
 */
import { createHmac } from 'node:crypto';

export interface CffRequest {
  method: string;
  uri: string;
  querystring: Record<string, { value: string; multiValue?: { value: string }[] }>;
  headers: Record<string, { value: string }>;
}

export interface CffResponse {
  statusCode: number;
  headers: Record<string, { value: string }>;
  body: { encoding: string; data: string };
}

export type Handler = (event: { request: CffRequest }) => Promise<CffRequest | CffResponse>;

export function load(code: string, kvs: Record<string, string>): Handler {
  const body = code
    .replace(/^import crypto from 'crypto';$/m, '')
    .replace(/^import cf from 'cloudfront';$/m, '');
  if (/^import /m.test(body)) throw new Error('the function imports something CloudFront does not offer');
  const cf = {
    kvs: () => ({
      get: async (key: string) => {
        if (!(key in kvs)) throw new Error(`KeyValueStore has no key ${key}`);
        return kvs[key];
      },
    }),
  };
  const crypto = { createHmac };
  return new Function('crypto', 'cf', `${body}\nreturn handler;`)(crypto, cf) as Handler;
}

/** CloudFront's query-string object: names as sent, values still encoded, repeats grouped. */
export function querystring(raw: string): CffRequest['querystring'] {
  const out: CffRequest['querystring'] = {};
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    const existing = out[name];
    if (existing) {
      existing.multiValue = existing.multiValue ?? [{ value: existing.value }];
      existing.multiValue.push({ value });
    } else {
      out[name] = { value };
    }
  }
  return out;
}

export function event(path: string, query: string, accept: string | null): { request: CffRequest } {
  return {
    request: {
      method: 'GET',
      uri: path,
      querystring: querystring(query),
      headers: accept === null ? {} : { accept: { value: accept } },
    },
  };
}

export function isResponse(r: CffRequest | CffResponse): r is CffResponse {
  return 'statusCode' in r;
}
