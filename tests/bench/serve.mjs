// Serves the Worker for the benchmarks: the same build, wrangler.toml and local storage as
// `wrangler dev --local`, through wrangler's own API (`unstable_startWorker`) with the
// DevTools inspector off.
//
// Why not `wrangler dev`: it always attaches an inspector to the Worker and enables the
// inspector's Network domain, so every subrequest the Worker makes (each Durable Object
// call) emits four Network events, each forwarded to the wrangler process as an HTTP
// request of its own. Measured on /assign (one shard call per request): that tax took more
// CPU than the call itself (assign ÷ ping 0.36 with it, 0.65 without, same build and
// host). A deployed Worker pays nothing of the kind, so the benchmarks leave it out.
//
// Usage: node tests/bench/serve.mjs <port> <state dir> [NAME=VALUE …]
// Each NAME=VALUE is a plain-text variable (as `wrangler dev --var NAME:VALUE`). Runs until
// killed; prints "ready <url>" once the Worker is served.
import { unstable_startWorker } from "wrangler";

const [port, state, ...vars] = process.argv.slice(2);
if (!port || !state || vars.some((v) => !v.includes("="))) {
  console.error("usage: node tests/bench/serve.mjs <port> <state dir> [NAME=VALUE …]");
  process.exit(2);
}
const bindings = Object.fromEntries(
  vars.map((v) => {
    const at = v.indexOf("=");
    return [v.slice(0, at), { type: "plain_text", value: v.slice(at + 1) }];
  }),
);
const worker = await unstable_startWorker({
  config: "wrangler.toml",
  bindings,
  dev: {
    remote: false,
    persist: state,
    inspector: false,
    watch: false,
    liveReload: false,
    logLevel: "error",
    server: { hostname: "127.0.0.1", port: Number(port) },
  },
});
await worker.ready;
console.log(`ready ${await worker.url}`);
const stop = async () => {
  await worker.dispose();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
