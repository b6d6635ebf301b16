/**
 * Runs the generated CloudFront Function the way CloudFront would, in two engines:
 * - **njs**, the engine whose subset CloudFront Functions document (the strict runner: a
 *   construct CloudFront refuses fails to parse or run here too), with njs's own `crypto`;
 * - Node, as a second opinion, with Node's HMAC.
 * Both get the same KeyValueStore stand-in, as strict as CloudFront's: `get` resolves only keys
 * that exist, with string values within the store's size limits, and rejects otherwise. Events are
 * built like CloudFront's, with the query string as an object of raw (still encoded) values.
 */
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { KVS_MAX_KEY_CHARS, KVS_MAX_VALUE_CHARS } from '../lib/tenant-registry.js';

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

export type CffResult = CffRequest | CffResponse;
export type CffEvent = { request: CffRequest };
export type Engine = 'njs' | 'node';
export const ENGINES: Engine[] = ['njs', 'node'];

export function checkStore(kvs: Record<string, string>): void {
  for (const [k, v] of Object.entries(kvs)) {
    if (typeof v !== 'string') throw new Error(`KeyValueStore value of ${k} is not a string`);
    if (k.length > KVS_MAX_KEY_CHARS) throw new Error(`KeyValueStore key ${k.slice(0, 40)}… is over ${KVS_MAX_KEY_CHARS}`);
    if (v.length > KVS_MAX_VALUE_CHARS) throw new Error(`KeyValueStore value of ${k} is over ${KVS_MAX_VALUE_CHARS}`);
  }
}

/** The function's two imports, found whatever local names the minifier gave them. */
function splitImports(code: string) {
  const imp = (module: string) => {
    const m = new RegExp(`import\\s*(\\w+)\\s*from\\s*["']${module}["'];?`).exec(code);
    if (!m) throw new Error(`the function does not import ${module}`);
    return m;
  };
  const crypto = imp('crypto');
  const cf = imp('cloudfront');
  const body = code.replace(crypto[0], '').replace(cf[0], '');
  if (/^\s*import\b|;import\b/.test(body)) throw new Error('the function imports something CloudFront does not offer');
  return { cryptoName: crypto[1], cryptoImport: crypto[0], cfName: cf[1], body };
}

/** The KeyValueStore stand-in, in the ES 5.1 both engines run. */
function storeSource(cfName: string, kvs: Record<string, string>): string {
  return `var ${cfName} = (function (D) { return { kvs: function () { return { get: function (k) {
  return Object.prototype.hasOwnProperty.call(D, k) ? Promise.resolve(D[k])
    : Promise.reject(new Error('KeyValueStore has no key ' + k)); } }; } }; })(${JSON.stringify(kvs)});\n`;
}

function runNode(code: string, kvs: Record<string, string>, events: CffEvent[]): Promise<CffResult[]> {
  const { cryptoName, cfName, body } = splitImports(code);
  const make = new Function(cryptoName, `${storeSource(cfName, kvs)}${body}\nreturn handler;`);
  const handler = make({ createHmac }) as (e: CffEvent) => Promise<CffResult>;
  return Promise.all(events.map((e) => handler(structuredClone(e))));
}

function runNjs(code: string, kvs: Record<string, string>, events: CffEvent[]): CffResult[] {
  const { cryptoImport, cfName, body } = splitImports(code);
  const driver = `
var EVENTS = ${JSON.stringify(events)};
// One line per result: njs cuts a single console.log line at 2 KB.
function next(i) {
  if (i >= EVENTS.length) return;
  handler(EVENTS[i]).then(function (r) { console.log(JSON.stringify(r)); next(i + 1); },
    function (e) { console.log(JSON.stringify({ threw: String(e) })); next(i + 1); });
}
next(0);
`;
  const dir = mkdtempSync(join(tmpdir(), 'imgfront-njs-'));
  const file = join(dir, 'function.js');
  writeFileSync(file, `${cryptoImport}\n${storeSource(cfName, kvs)}${body}\n${driver}`);
  const run = spawnSync('njs', [file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (run.error) throw new Error(`njs did not run (scripts/setup installs it): ${run.error.message}`);
  if (run.status !== 0) throw new Error(`njs exited ${run.status}: ${run.stderr}${run.stdout.slice(0, 2000)}`);
  const out = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as CffResult | { threw: string });
  if (out.length !== events.length) throw new Error(`njs answered ${out.length} of ${events.length} events`);
  return out.map((r) => {
    if ('threw' in r) throw new Error(`the function threw under njs: ${r.threw}`);
    return r;
  });
}

/** Runs every event through `engine` with the store `kvs`; results in event order. */
export async function run(engine: Engine, code: string, kvs: Record<string, string>, events: CffEvent[]): Promise<CffResult[]> {
  checkStore(kvs);
  return engine === 'njs' ? runNjs(code, kvs, events) : runNode(code, kvs, events);
}

/** CloudFront's query-string object: names as sent, values still encoded, repeats grouped. */
export function querystring(raw: string): CffRequest['querystring'] {
  const out: CffRequest['querystring'] = {};
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    const existing = Object.prototype.hasOwnProperty.call(out, name) ? out[name] : undefined;
    if (existing) {
      existing.multiValue = existing.multiValue ?? [{ value: existing.value }];
      existing.multiValue.push({ value });
    } else {
      Object.defineProperty(out, name, { value: { value }, enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
}

export function event(path: string, query: string, headers: Record<string, string> = {}): CffEvent {
  const h: Record<string, { value: string }> = {};
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = { value: v };
  return { request: { method: 'GET', uri: path, querystring: querystring(query), headers: h } };
}

export function isResponse(r: CffResult): r is CffResponse {
  return 'statusCode' in r;
}

/** A result in one line: the forwarded URI, or `status error` (plus `→ location` on a redirect). */
export function summary(r: CffResult): string {
  if (!isResponse(r)) return r.uri;
  const error = (JSON.parse(r.body.data) as { error: string }).error;
  return r.headers.location ? `${r.statusCode} ${error} → ${r.headers.location.value}` : `${r.statusCode} ${error}`;
}
