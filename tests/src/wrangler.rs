//! A real `wrangler dev` serving the built Worker with its own local KV/D1 state.

use crate::process::{Process, free_port, repo_root, wait_for};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The public rate limit of test servers: every test client is 127.0.0.1, so the shipped
/// per-client limit would throttle the suite (the rate-limit test uses the shipped file).
const TEST_RATE_LIMIT: u32 = 1_000_000;

/// Which `wrangler.toml` a test server runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Config {
    /// The repository's file with the public rate limit raised to [`TEST_RATE_LIMIT`].
    Test,
    /// The repository's file as shipped.
    Shipped,
}

/// Writes the configuration a test server runs with into its state directory: the
/// repository's `wrangler.toml` with every path made absolute (so it works from there) and,
/// for [`Config::Test`], the rate limit raised. Panics if the file no longer has a line
/// this rewrites, so a change to `wrangler.toml` cannot silently escape the tests.
fn write_config(state: &Path, config: Config) -> PathBuf {
    let root = repo_root();
    let root = root.to_string_lossy();
    let shipped =
        std::fs::read_to_string(repo_root().join("wrangler.toml")).expect("wrangler.toml");
    let mut text = shipped.clone();
    let mut rewrite = |from: &str, to: String| {
        assert!(
            text.contains(from),
            "wrangler.toml no longer contains `{from}`"
        );
        text = text.replace(from, &to);
    };
    for path in [
        "worker/build/index.js",
        "worker/dashboard/dist",
        "worker/migrations",
    ] {
        rewrite(&format!("\"{path}\""), format!("\"{root}/{path}\""));
    }
    for dir in ["worker/src", "shared/src", "worker/dashboard/src"] {
        rewrite(&format!("\"{dir}\""), format!("\"{root}/{dir}\""));
    }
    rewrite("[build]\n", format!("[build]\ncwd = \"{root}\"\n"));
    if config == Config::Test {
        rewrite(
            "simple = { limit = 600,",
            format!("simple = {{ limit = {TEST_RATE_LIMIT},"),
        );
    }
    let file = state.join("wrangler.toml");
    std::fs::write(&file, text).expect("test wrangler.toml");
    file
}

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
        Self::start_configured(name, vars, Config::Test)
    }

    /// Like [`Wrangler::start_with`], with the chosen `wrangler.toml`. The state starts as
    /// a copy of a migrated one ([`migrated_template`]): applying the migrations costs a
    /// `wrangler d1` process (seconds), a copy milliseconds.
    pub fn start_configured(name: &str, vars: &[(&str, &str)], config: Config) -> Self {
        let state = repo_root().join("target/e2e-state").join(name);
        let _ = std::fs::remove_dir_all(&state);
        std::fs::create_dir_all(&state).expect("state dir");
        copy_dir(&migrated_template(), &state).expect("copy the migrated state");
        write_config(&state, config);
        Self::serve_with(name, state, vars)
    }

    /// Serves the Worker on a free port with an existing state directory.
    pub fn serve(name: &str, state: PathBuf) -> Self {
        Self::serve_with(name, state, &[])
    }

    /// Serves with extra `--var NAME:VALUE` settings (the configuration written by
    /// [`Wrangler::start_configured`] into `state`, else a fresh test one).
    pub fn serve_with(name: &str, state: PathBuf, vars: &[(&str, &str)]) -> Self {
        let config = state.join("wrangler.toml");
        let config = if config.exists() {
            config
        } else {
            write_config(&state, Config::Test)
        };
        let port = free_port();
        let admin_token = format!("test-token-{port}");
        let mut cmd = Command::new(wrangler_binary());
        cmd.args([
            "dev",
            "-c",
            &config.to_string_lossy(),
            "--local",
            "--ip",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            // Its own devtools port (the default 9229 would clash with any other server),
            // and `/__scheduled` to fire the cron trigger.
            "--inspector-ip",
            "127.0.0.1",
            "--inspector-port",
            &free_port().to_string(),
            "--test-scheduled",
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
        crate::contract::register_worker(port);
        Self {
            base,
            state,
            admin_token,
            process,
        }
    }

    /// Runs SQL against this server's local D1 (`wrangler d1 execute --local`), for tests
    /// that plant rows the API would refuse (data written before a rule existed).
    pub fn d1_execute(&self, sql: &str) {
        let _ = local_d1(&self.state, &["execute", "DB", "--command", sql]);
    }

    /// Runs a SQL file against this server's local D1 (as `make dev` loads its demo data).
    pub fn d1_execute_file(&self, file: &Path) {
        let _ = local_d1(
            &self.state,
            &["execute", "DB", "--file", &file.to_string_lossy()],
        );
    }

    /// The rows a query returns from this server's local D1.
    pub fn d1_query(&self, sql: &str) -> Vec<serde_json::Value> {
        let out = local_d1(&self.state, &["execute", "DB", "--json", "--command", sql]);
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        parsed[0]["results"].as_array().cloned().unwrap_or_default()
    }
}

/// A local state with every migration applied, made once per set of migrations (its
/// directory is named by a hash of `worker/migrations`, so a new migration makes a new
/// one) and copied into each test's state. Test binaries run one at a time; it is built in a
/// scratch directory and renamed into place, so a half-built one is never used.
fn migrated_template() -> PathBuf {
    let migrations = repo_root().join("worker/migrations");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&migrations)
        .expect("worker/migrations")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    // FNV-1a over every migration's name and contents.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for f in &files {
        let bytes = std::fs::read(f).expect("a migration");
        for b in f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
            .bytes()
            .chain(bytes)
        {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    let dir = repo_root()
        .join("target/e2e-state")
        .join(format!("_migrated-{hash:016x}"));
    if dir.join("v3").is_dir() {
        return dir;
    }
    // Built aside under a name of its own (tests run in parallel threads and processes),
    // then moved in place; whoever moves first wins and the others use theirs.
    static BUILDS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let scratch = dir.with_extension(format!("partial-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("template dir");
    write_config(&scratch, Config::Test);
    let _ = local_d1(&scratch, &["migrations", "apply", "DB"]);
    assert!(
        scratch.join("v3").is_dir(),
        "applying the migrations made no local state"
    );
    if std::fs::rename(&scratch, &dir).is_err() {
        assert!(
            dir.join("v3").is_dir(),
            "the template could not be put in place"
        );
        let _ = std::fs::remove_dir_all(&scratch);
    }
    dir
}

/// Copies `from`'s `v3` state tree into `to`.
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fn copy(from: &Path, to: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            let target = to.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                copy(&entry.path(), &target)?;
            } else {
                std::fs::copy(entry.path(), &target)?;
            }
        }
        Ok(())
    }
    copy(&from.join("v3"), &to.join("v3"))
}

/// Runs `wrangler d1 <args> --local` on the state directory's database and configuration;
/// panics with wrangler's output if it fails.
fn local_d1(state: &Path, args: &[&str]) -> String {
    let out = Command::new(wrangler_binary())
        .arg("d1")
        .args(args)
        .args(["--local", "-c"])
        .arg(state.join("wrangler.toml"))
        .arg("--persist-to")
        .arg(state)
        .current_dir(repo_root())
        .env("WRANGLER_SEND_METRICS", "false")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("wrangler d1");
    assert!(
        out.status.success(),
        "wrangler d1 {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
