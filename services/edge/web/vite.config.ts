// Builds the dashboard into services/edge/web/dist, which the edge serves as static files.
// Relative asset URLs (`base: './'`) so the page works wherever the edge mounts it. The
// workspace's libs are bundled from their sources (`@codeframe/source`), so the bundle does
// not wait on their builds.
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  publicDir: false,
  resolve: { conditions: ['@codeframe/source', ...defaultClientConditions] },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: true,
  },
});
