/**
 * Generates the viewer-request CloudFront Function from the one configuration: the template in
 * `function/viewer-request.js` gets the limits and grids it needs, terser minifies it without
 * introducing syntax newer than ES 5.1, and the result is refused unless it stays inside the
 * cloudfront-js-2.0 subset and under CloudFront's size limit. Tenants are not in the code (they
 * live in the KeyValueStore), so its size does not depend on how many there are.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { minify_sync } from 'terser';

import { subsetViolations } from './cff-subset.js';
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
    // What unsigned URLs may use: the palette as the function normalises bg (opaque alpha
    // dropped), and the blur and sharpen steps in tenths.
    pal: [...new Set(config.unsigned.bg.map((c) => (c.length === 8 && c.endsWith('ff') ? c.slice(0, 6) : c)))],
    bs: config.unsigned.blur.map((v) => Math.round(v * 10)),
    ss: config.unsigned.sharpen.map((v) => Math.round(v * 10)),
  };
}

/**
 * Minifies with terser. `ecma: 5` keeps terser from rewriting anything into newer syntax (it
 * leaves the template's arrows and `const` as they are), and `handler` keeps its name and its
 * place: CloudFront calls it by name although nothing in the module refers to it.
 */
export function minify(code: string): string {
  const out = minify_sync(code, {
    module: true,
    ecma: 5,
    compress: { passes: 2, top_retain: ['handler'] },
    mangle: { reserved: ['handler'] },
    format: { comments: false },
  });
  if (out.code === undefined) throw new Error('terser produced no code for the viewer function');
  return out.code;
}

export function viewerFunctionCode(config: ImgfrontConfig): string {
  const template = readFileSync(TEMPLATE_PATH, 'utf8');
  if (!template.includes('__CONFIG__')) throw new Error(`${TEMPLATE_PATH} lost its __CONFIG__ placeholder`);
  const code = minify(template.replace('__CONFIG__', JSON.stringify(functionConfig(config))));
  const problems = subsetViolations(code);
  if (problems.length > 0) {
    throw new Error(`viewer function leaves the cloudfront-js-2.0 subset:\n  ${problems.join('\n  ')}`);
  }
  const size = Buffer.byteLength(code, 'utf8');
  if (size > MAX_FUNCTION_BYTES) {
    throw new Error(`viewer function is ${size} bytes, over CloudFront's ${MAX_FUNCTION_BYTES}-byte limit`);
  }
  return code;
}
