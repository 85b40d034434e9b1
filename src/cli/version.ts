/** The version `openrds --version` prints; the build (scripts/build-cli.mjs) replaces it with package.json's. */
declare const OPENRDS_VERSION: string | undefined;
export const VERSION: string = typeof OPENRDS_VERSION === 'string' ? OPENRDS_VERSION : '0.1.0-dev';
