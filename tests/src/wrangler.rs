//! A real `wrangler dev` serving the built Worker with its own local KV/D1 state.

use crate::process::{Process, free_port, repo_root, wait_for};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// A running `wrangler dev`.
pub struct Wrangler {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The state directory (KV/D1), kept across restarts of the same test.
    pub state: PathBuf,
    /// The admin token it was started with.
    pub admin_token: String,
    /// The process group (npm → node → workerd).
    pub process: Process,
}

fn wrangler_binary() -> PathBuf {
    repo_root().join("node_modules/.bin/wrangler")
}

impl Wrangler {
    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.base
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("the base URL ends with a port")
    }

    /// Applies the migrations to a fresh state directory named after the test, then serves.
    pub fn start(name: &str) -> Self {
        Self::start_with(name, &[])
    }

    /// Like [`Wrangler::start`], with extra `--var NAME:VALUE` settings.
    pub fn start_with(name: &str, vars: &[(&str, &str)]) -> Self {
        let state = repo_root().join("target/e2e-state").join(name);
        let _ = std::fs::remove_dir_all(&state);
        std::fs::create_dir_all(&state).expect("state dir");
        let status = Command::new(wrangler_binary())
            .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
            .arg(&state)
            .current_dir(repo_root())
            .env("WRANGLER_SEND_METRICS", "false")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("wrangler d1 migrations apply");
        assert!(
            status.status.success(),
            "migrations failed: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        Self::serve_with(name, state, vars)
    }

    /// Serves the Worker on a free port with an existing state directory.
    pub fn serve(name: &str, state: PathBuf) -> Self {
        Self::serve_with(name, state, &[])
    }

    /// Serves with extra `--var NAME:VALUE` settings.
    pub fn serve_with(name: &str, state: PathBuf, vars: &[(&str, &str)]) -> Self {
        let port = free_port();
        let admin_token = format!("test-token-{port}");
        let mut cmd = Command::new(wrangler_binary());
        cmd.args([
            "dev",
            "--local",
            "--ip",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .args(["--show-interactive-dev-session=false", "--persist-to"])
        .arg(&state)
        .args(["--var", &format!("ADMIN_TOKEN:{admin_token}")])
        .args(
            vars.iter()
                .flat_map(|(k, v)| ["--var".to_string(), format!("{k}:{v}")]),
        )
        .current_dir(repo_root())
        .env("WRANGLER_SEND_METRICS", "false");
        let mut process = Process::start(&format!("wrangler-{name}"), cmd);
        let base = format!("http://127.0.0.1:{port}");
        let health = format!("{base}/health");
        wait_for("wrangler dev", Duration::from_secs(180), || {
            assert!(
                process.exited().is_none(),
                "wrangler dev exited:\n{}",
                process.log_text()
            );
            ureq::get(&health).call().is_ok()
        });
        Self {
            base,
            state,
            admin_token,
            process,
        }
    }
}
