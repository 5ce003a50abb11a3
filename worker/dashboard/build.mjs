// Builds the admin dashboard into worker/dashboard/dist (served by the Worker as static
// assets under /admin/): one minified bundle, the stylesheet, the page and its headers.
// Usage: node worker/dashboard/build.mjs
import { build } from 'esbuild';
import { cpSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const out = join(dist, 'admin');

rmSync(dist, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, 'src/main.tsx')],
  outfile: join(out, 'app.js'),
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of ['index.html', 'styles.css', 'favicon.svg']) {
  cpSync(join(here, file), join(out, file));
}
cpSync(join(here, '_headers'), join(dist, '_headers'));
const kb = (bytes) => (bytes / 1024).toFixed(1);
const size = (f) => `${kb(statSync(join(out, f)).size)} KB (${kb(gzipSync(readFileSync(join(out, f))).length)} KB gzip)`;
console.log(`[dashboard] built worker/dashboard/dist: app.js ${size('app.js')}, styles.css ${size('styles.css')}`);
