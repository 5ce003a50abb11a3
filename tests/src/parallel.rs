//! Running a test's independent requests on a few threads.

/// Threads the end-to-end tests use for independent requests (the machine has 2 cores; a
/// few more threads keep `wrangler dev` busy while responses travel).
pub const THREADS: usize = 4;

/// Runs `f(0..n)` on [`THREADS`] threads; results in index order.
pub fn parallel<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let f = &f;
    let mut out: Vec<(usize, T)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                s.spawn(move || {
                    (t..n)
                        .step_by(THREADS)
                        .map(|k| (k, f(k)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("thread"))
            .collect()
    });
    out.sort_by_key(|(k, _)| *k);
    out.into_iter().map(|(_, v)| v).collect()
}
