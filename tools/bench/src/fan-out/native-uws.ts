import type * as UWS from 'uWebSockets.js';
import { createRequire } from 'node:module';

export type { UWS };

/**
 * uWebSockets.js with its native binary, checked the way the edge checks it
 * (services/edge/src/uws.ts): the build falls back to a slow pure-JS server when the binary
 * does not load, and a ceiling measured on that would be no ceiling.
 */
export function loadNativeUws(): typeof UWS {
  const uws = createRequire(import.meta.url)('uWebSockets.js') as typeof UWS;
  if (!Function.prototype.toString.call(uws.App).includes('[native code]')) {
    throw new Error(
      `the native uWebSockets.js binary did not load for Node ${process.version} (ABI ${process.versions.modules}, ${process.platform}-${process.arch}): the raw uWS ceiling cannot be measured on the JS fallback`,
    );
  }
  return uws;
}
