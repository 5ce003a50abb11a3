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

// An edge host's planning beyond assigning: 20 targeted experiments' header plan against
// their decisions alone, per assigned experiment (the Envoy filter's goal: ≤ 0.1 µs). The
// three run interleaved in every round; the result is the median over rounds of each
// round's difference, so slow phases of a shared machine hit all three alike.
const { edge_decide, edge_plan } = instance.exports;
setup(20_000);
const assigned = edge_decide();
if (assigned === 0) throw new Error("no assignment happened");
const timed = (f) => {
  const start = performance.now();
  f();
  return (performance.now() - start) * 1e6;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rounds = 21;
const diffs = { each: [], summary: [] };
const decisions = [];
edge_plan(0);
edge_plan(1);
for (let r = 0; r < rounds; r++) {
  const d = timed(() => edge_decide());
  decisions.push(d / assigned);
  diffs.each.push((timed(() => edge_plan(0)) - d) / assigned);
  diffs.summary.push((timed(() => edge_plan(1)) - d) / assigned);
}
for (const [label, key] of [["a header each", "each"], ["summary header only", "summary"]]) {
  console.log(`wasm (node ${process.version}): plan of 20 targeted experiments, ${label}: ${median(diffs[key]).toFixed(1)} ns per assigned experiment beyond the decision (median of ${rounds} interleaved rounds of 20,000 users; a decision: ${median(decisions).toFixed(1)} ns)`);
}
