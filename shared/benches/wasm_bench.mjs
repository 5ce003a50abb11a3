// Times the core's assignment compiled to wasm32-unknown-unknown, under node.
// Build first: cargo build --release --target wasm32-unknown-unknown -p cleave-core --example wasm_bench
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const path = new URL("../../target/wasm32-unknown-unknown/release/examples/wasm_bench.wasm", import.meta.url);
const { instance } = await WebAssembly.instantiate(readFileSync(path), {});
const { setup, run } = instance.exports;
const users = 100_000;
setup(users);
for (const experiments of [1, 10]) {
  run(experiments); // warm-up
  const rounds = 5;
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    const hits = run(experiments);
    const ns = ((performance.now() - start) * 1e6) / (users * experiments);
    if (hits === 0) throw new Error("no assignment happened");
    best = Math.min(best, ns);
  }
  console.log(`wasm (node ${process.version}): ${experiments} experiment(s): ${best.toFixed(1)} ns per user×experiment (best of ${rounds} rounds of ${users} users)`);
}
