//! Test scripts in node (real npm clients, the browser driver) and Python (clients written
//! the way the services Cleave replaces are called), run from the repository root.

use crate::repo_root;
use std::process::Command;

/// Runs `node <script>` with `env`, prints what it wrote, and returns it; panics unless it
/// exited 0 and printed `marker` (so a script that stops early cannot pass).
pub fn run_node(script: &str, env: &[(&str, &str)], marker: &str) -> String {
    run_script(Command::new("node"), script, env, marker)
}

/// Like [`run_node`], with the Python of the test tools (`.venv`, which has `requests`).
pub fn run_python(script: &str, env: &[(&str, &str)], marker: &str) -> String {
    run_script(
        Command::new(repo_root().join(".venv/bin/python")),
        script,
        env,
        marker,
    )
}

fn run_script(mut command: Command, script: &str, env: &[(&str, &str)], marker: &str) -> String {
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
