/**
 * Generates the viewer-request CloudFront Function from the one configuration: the template in
 * `function/viewer-request.js` gets the config values it needs, then a light minification keeps
 * it under CloudFront's 10 KB function size limit.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { ImgfrontConfig } from './config.js';

/** CloudFront Functions reject code above this many bytes. */
export const MAX_FUNCTION_BYTES = 10_240;

const here = dirname(fileURLToPath(import.meta.url));
export const TEMPLATE_PATH = join(here, '..', 'function', 'viewer-request.js');

/** The config subset the function reads, in the short names the template uses. */
export function functionConfig(config: ImgfrontConfig): Record<string, unknown> {
  return {
    bw: config.breakpoints.width,
    // 0 means "same as width" (the usual case), which keeps the function small.
    bh: JSON.stringify(config.breakpoints.height) === JSON.stringify(config.breakpoints.width) ? 0 : config.breakpoints.height,
    maxW: config.limits.max_width,
    maxH: config.limits.max_height,
    maxKey: config.limits.max_key_bytes,
    maxQuery: config.limits.max_query_bytes,
    maxValue: config.limits.max_value_bytes,
    qAllowed: config.quality.allowed,
    qDefault: config.quality.default,
    // tenant id → 1 when every request must be signed
    tenants: Object.fromEntries(config.tenants.map((t) => [t.id, t.access === 'private' ? 1 : 0])),
  };
}

/** Spaces around punctuation outside single-quoted strings (the template's only string kind). */
function squeeze(line: string): string {
  return line
    .split(/('(?:[^'\\]|\\.)*')/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/\s*([=+\-*/<>!?:,;{}()[\]&|%^])\s*/g, '$1')))
    .join('');
}

/**
 * Drops comments and indentation and squeezes spaces around punctuation. Safe for the template
 * because it has no multi-line strings, no double-quoted strings and no quote inside a regex.
 */
export function minify(code: string): string {
  return code
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('//'))
    .map((line) => squeeze(line.replace(/\s\/\/ [^']*$/, '')))
    .join('\n');
}

export function viewerFunctionCode(config: ImgfrontConfig): string {
  const template = readFileSync(TEMPLATE_PATH, 'utf8');
  if (!template.includes('__CONFIG__')) throw new Error(`${TEMPLATE_PATH} lost its __CONFIG__ placeholder`);
  const code = minify(template.replace('__CONFIG__', JSON.stringify(functionConfig(config))));
  const size = Buffer.byteLength(code, 'utf8');
  if (size > MAX_FUNCTION_BYTES) {
    throw new Error(`viewer function is ${size} bytes, over CloudFront's ${MAX_FUNCTION_BYTES}-byte limit`);
  }
  return code;
}
