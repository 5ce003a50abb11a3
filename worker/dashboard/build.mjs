// Builds the Worker's static assets into worker/dashboard/dist: the admin dashboard under
// /admin/ (one minified bundle, the stylesheet, the page) and the API reference under
// /docs/ (Swagger UI from npm swagger-ui-dist, with its licence), plus their headers.
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
const docs = join(dist, 'docs');
const swagger = join(here, '../../node_modules/swagger-ui-dist');
mkdirSync(docs, { recursive: true });
for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE', 'NOTICE']) {
  cpSync(join(swagger, file), join(docs, file));
}
for (const file of ['index.html', 'init.js']) {
  cpSync(join(here, '../docs', file), join(docs, file));
}
const kb = (bytes) => (bytes / 1024).toFixed(1);
const size = (f) => `${kb(statSync(join(out, f)).size)} KB (${kb(gzipSync(readFileSync(join(out, f))).length)} KB gzip)`;
console.log(`[dashboard] built worker/dashboard/dist: app.js ${size('app.js')}, styles.css ${size('styles.css')}`);
