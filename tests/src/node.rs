//! Test scripts in node (real npm clients, the browser driver), run from the repository
//! root.

use crate::repo_root;
use std::process::Command;

/// Runs `node <script>` with `env`, prints what it wrote, and returns it; panics unless it
/// exited 0 and printed `marker` (so a script that stops early cannot pass).
pub fn run_node(script: &str, env: &[(&str, &str)], marker: &str) -> String {
    let mut command = Command::new("node");
    command.arg(script).current_dir(repo_root());
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("node runs");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{log}");
    assert!(
        output.status.success() && log.contains(marker),
        "{script} failed:\n{log}"
    );
    log
}
