/**
 * `import.meta.url` inside the CommonJS bundle of the CLI (dist/neff-cache.cjs), injected by the
 * build in its place: the library's ES modules keep their own. Never imported by the library.
 */
import { pathToFileURL } from "node:url";

export const bundleImportMetaUrl: string = pathToFileURL(__filename).href;
