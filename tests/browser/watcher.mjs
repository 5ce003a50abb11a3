// Collects everything that went wrong in the pages: console errors, uncaught errors, failed
// requests and HTTP errors. Errors the test provokes on purpose are declared with `expect`.

export class Watcher {
  constructor(base) {
    this.base = base;
    this.problems = [];
    this.expected = [];
    this.errors = [];
  }

  /** The next response `status` for `path` is intended (and so is its console line). */
  expect(status, path) {
    this.expected.push({ status, path });
  }

  /** HTTP errors seen so far (expected or not). */
  httpErrors() {
    return this.errors;
  }

  watch(page, label) {
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const status = /status of (\d{3})/.exec(m.text());
      if (status && this.errors.some((e) => e.status === Number(status[1]) && e.intended)) return;
      this.problems.push(`${label} console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.problems.push(`${label} page error: ${e.message}`));
    page.on('requestfailed', (r) => {
      if (r.url().startsWith('blob:')) return;
      this.problems.push(`${label} request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
    });
    page.on('response', (r) => {
      if (r.status() < 400) return;
      const path = new URL(r.url()).pathname;
      const i = this.expected.findIndex((x) => x.status === r.status() && x.path === path);
      const intended = i >= 0;
      if (intended) this.expected.splice(i, 1);
      this.errors.push({ status: r.status(), path, intended });
      if (!intended) this.problems.push(`${label} HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
    });
  }

  /** Throws listing every unexpected problem, and any expected error that never happened. */
  assertClean() {
    const missing = this.expected.map((x) => `expected HTTP ${x.status} for ${x.path} never happened`);
    const all = [...this.problems, ...missing];
    if (all.length > 0) throw new Error(`browser problems:\n  ${all.join('\n  ')}`);
  }
}
