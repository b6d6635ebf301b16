// A static export served by `imgfront dev --site clients/js` under /_imgfront/site/example-next/out,
// with every image URL written by @imgfront/client's Next.js loader.
import { nextImageSizes } from '../dist/next.js';

const basePath = '/_imgfront/site/example-next/out';

export default {
  output: 'export',
  basePath,
  assetPrefix: basePath,
  trailingSlash: false,
  // Breakpoints as Next's widths: every srcset descriptor is the width the loader requests.
  images: { loader: 'custom', loaderFile: '../dist/next.js', ...nextImageSizes() },
};
