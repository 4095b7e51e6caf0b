import { defineConfig } from 'vitest/config';

// The API serves the build from web/dist (copied beside it as webapp/); `npm run dev` proxies the API.
export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The app's own chunk and ECharts apart: a release of either leaves the other cached.
    rolldownOptions: {
      output: {
        codeSplitting: { groups: [{ name: 'echarts', test: /node_modules[\\/](echarts|zrender)/ }] }
      }
    },
    chunkSizeWarningLimit: 800
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:5080' }
  },
  test: {
    include: ['test/**/*.test.ts']
  }
});
