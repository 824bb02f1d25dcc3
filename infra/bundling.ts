import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/** The repository root: entry points, `package-lock.json` and `node_modules` live here. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * ESM bundles lose CommonJS's `require`, `__filename` and `__dirname`. Bundled CommonJS dependencies still
 * use them: `parquet-wasm/node` reads `${__dirname}/parquet_wasm_bg.wasm` with `require('fs')` when it loads.
 * The aliased imports keep the banner's names from colliding with the bundle's own.
 */
export const ESM_REQUIRE_BANNER = [
  "import { createRequire as __bannerCreateRequire } from 'node:module';",
  "import { fileURLToPath as __bannerFileUrlToPath } from 'node:url';",
  "import { dirname as __bannerDirname } from 'node:path';",
  'const require = __bannerCreateRequire(import.meta.url);',
  'const __filename = __bannerFileUrlToPath(import.meta.url);',
  'const __dirname = __bannerDirname(__filename);',
].join(' ');

/** Relative to the project root; copied next to `index.mjs` so `${__dirname}/parquet_wasm_bg.wasm` resolves. */
export const PARQUET_WASM_FILE = 'node_modules/parquet-wasm/node/parquet_wasm_bg.wasm';

/**
 * esbuild settings shared by every function. The AWS SDK is bundled rather than taken from the Node 22
 * runtime: the runtime's SDK version changes underneath a deployed function, while the bundled one is the
 * version in package-lock.json that the tests ran against. It adds about 1 MB minified.
 */
export function exportBundlingOptions(): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: 'node22',
    banner: ESM_REQUIRE_BANNER,
    minify: true,
    // Error class names appear in logs; minified names like `He` would hide which error happened.
    keepNames: true,
    sourceMap: true,
    // Stack traces only need file and line; leaving sources out keeps the map a fraction of its size.
    sourcesContent: false,
    bundleAwsSDK: true,
    // Never fall back to Docker: bundling must work offline with the locally installed esbuild.
    forceDockerBundling: false,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (inputDir: string, outputDir: string) => [
        `cp "${path.join(inputDir, PARQUET_WASM_FILE)}" "${outputDir}/"`,
      ],
    },
  };
}
