import type * as UWS from 'uWebSockets.js';
import { createRequire } from 'node:module';

export type { UWS };

/**
 * Loads uWebSockets.js and insists on its native binary. The build we depend on falls back
 * to a slow pure-JS server, with only a console warning, when the binary does not load
 * (another Node ABI, platform or glibc); that would silently cost the edge its fan-out
 * speed, so it is an error here.
 */
export function loadNativeUws(): typeof UWS {
  const require = createRequire(import.meta.url);
  const uws = require('uWebSockets.js') as typeof UWS;
  if (!isNative(uws)) {
    throw new Error(
      `the native uWebSockets.js binary did not load for Node ${process.version} (ABI ${process.versions.modules}, ${process.platform}-${process.arch}), and the JS fallback is too slow to serve: reinstall on a supported platform (see the README's troubleshooting)`,
    );
  }
  return uws;
}

function isNative(uws: typeof UWS): boolean {
  return Function.prototype.toString.call(uws.App).includes('[native code]');
}
