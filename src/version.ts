/** This package's version, written into entry manifests. Kept equal to package.json by a test. */
export const NEFF_CACHE_VERSION = "0.1.0";
