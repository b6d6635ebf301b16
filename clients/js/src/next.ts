/**
 * A Next.js image loader (`images: { loader: 'custom', loaderFile: '…/next.js' }`): each width
 * Next asks for snaps up to a breakpoint, the format follows the browser (`fmt=auto`), and the
 * quality passes through. The CDN's origin comes from `NEXT_PUBLIC_IMGFRONT_URL`.
 */
import { DEFAULT_CONFIG, imageUrl, type UrlConfig } from './url.js';

declare const process: { env: Record<string, string | undefined> } | undefined;

export interface LoaderProps {
  src: string;
  width: number;
  quality?: number;
}

/** A loader for the imgfront distribution at `base`. */
export function createLoader(base: string, config: UrlConfig = DEFAULT_CONFIG): (props: LoaderProps) => string {
  return ({ src, width, quality }) => imageUrl(base, src, { w: Math.min(width, config.maxWidth), fmt: 'auto', q: quality }, { config });
}

/**
 * `images.deviceSizes` and `images.imageSizes` for next.config: the breakpoints themselves, so
 * the width each srcset candidate is described by is the width the loader asks for.
 */
export function nextImageSizes(config: UrlConfig = DEFAULT_CONFIG): { deviceSizes: number[]; imageSizes: number[] } {
  return {
    deviceSizes: config.widths.filter((w) => w >= 640),
    imageSizes: config.widths.filter((w) => w < 640),
  };
}

const base = typeof process !== 'undefined' ? (process.env.NEXT_PUBLIC_IMGFRONT_URL ?? '') : '';

export default createLoader(base);
