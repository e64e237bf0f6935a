import { defineConfig } from 'vite';

// Output goes to ../build/web, which `ctims serve` serves (--web-root).
export default defineConfig({
  root: '.',
  base: '/',
  build: {
    outDir: '../build/web',
    emptyOutDir: true,
    target: 'es2020',
    assetsDir: 'assets',
    sourcemap: false,
    modulePreload: { polyfill: false },
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
});
