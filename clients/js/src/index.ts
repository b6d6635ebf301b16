/**
 * Build, sign and `srcset` imgfront viewer URLs: `imageUrl` and `srcSet` write every URL in its
 * canonical spelling; `signUrl` signs a private tenant's URL on a server.
 */
export * from './url.js';
export * from './sign.js';
