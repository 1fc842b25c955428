import { defineConfig } from 'vite';

// Builds dist/widget.js (one self-contained IIFE, CSS included) and copies
// the demo pages from public/ next to it.
export default defineConfig({
  publicDir: 'public',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    reportCompressedSize: true,
    lib: {
      entry: 'src/widget.js',
      name: 'SciaticalmWidgetBundle',
      formats: ['iife'],
      fileName: () => 'widget.js',
    },
  },
  test: {
    environment: 'jsdom',
    include: ['test/**/*.test.js'],
    // The machine's two cores are shared: one test file at a time is plenty.
    fileParallelism: false,
  },
});
