//! A stand-in for Plausible's Events API (`POST /api/event`) that checks each request
//! against the documented contract — JSON content type, the original client's
//! `User-Agent` and `X-Forwarded-For`, a body with `name`, a valid `url`, `domain`, string
//! `props` and an optional `revenue` of `currency` and `amount` — and keeps what it got.
//! Plausible itself cannot run on these machines.

use crate::echo::{Received, read_request, respond};
use serde_json::Value;
use std::io::BufReader;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

/// One event as received: its body, the client headers, and the contract's verdict.
#[derive(Debug, Clone)]
pub struct PlausibleEvent {
    /// The JSON body.
    pub body: Value,
    /// `User-Agent`.
    pub user_agent: String,
    /// `X-Forwarded-For`.
    pub forwarded_for: String,
    /// Why the request breaks the contract (`None`: it keeps it).
    pub problem: Option<String>,
}

/// The stand-in server.
pub struct PlausibleStub {
    /// Its port on 127.0.0.1.
    pub port: u16,
    events: Arc<Mutex<Vec<PlausibleEvent>>>,
    status: Arc<AtomicU16>,
    stop: Arc<AtomicBool>,
}

/// What the contract says about a request (`Err`: the first problem).
fn check(r: &Received) -> Result<Value, String> {
    if r.method != "POST" || r.path != "/api/event" {
        return Err(format!("{} {} is not POST /api/event", r.method, r.path));
    }
    if !r
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json"))
    {
        return Err("Content-Type is not application/json".into());
    }
    for required in ["user-agent", "x-forwarded-for"] {
        if r.header(required).is_none_or(str::is_empty) {
            return Err(format!(
                "{required} is missing (Plausible drops such events)"
            ));
        }
    }
    let body: Value = serde_json::from_slice(&r.body).map_err(|e| format!("body: {e}"))?;
    for field in ["name", "url", "domain"] {
        if body[field].as_str().is_none_or(str::is_empty) {
            return Err(format!("{field} must be a non-empty string"));
        }
    }
    let url = body["url"].as_str().unwrap_or_default();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("url {url} is not an absolute http(s) URL"));
    }
    if let Some(props) = body.get("props") {
        let all_strings = props
            .as_object()
            .is_some_and(|p| p.values().all(Value::is_string));
        if !all_strings {
            return Err("props must be an object of strings".into());
        }
    }
    if let Some(revenue) = body.get("revenue")
        && !(revenue["currency"].as_str().is_some_and(|c| c.len() == 3)
            && revenue["amount"].is_number())
    {
        return Err("revenue must be {currency, amount}".into());
    }
    Ok(body)
}

impl PlausibleStub {
    /// Starts the server on a free port (answering 202, as Plausible does).
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the Plausible stand-in");
        let port = listener.local_addr().expect("local addr").port();
        let events = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(202));
        let stop = Arc::new(AtomicBool::new(false));
        let (kept, answer, flag) = (events.clone(), status.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (kept, answer) = (kept.clone(), answer.clone());
                std::thread::spawn(move || {
                    let Ok(read_half) = stream.try_clone() else {
                        return;
                    };
                    let mut reader = BufReader::new(read_half);
                    let mut writer = stream;
                    while let Ok(Some(r)) = read_request(&mut reader) {
                        let verdict = check(&r);
                        let event = PlausibleEvent {
                            body: verdict.clone().unwrap_or_else(|_| {
                                serde_json::from_slice(&r.body).unwrap_or(Value::Null)
                            }),
                            user_agent: r.header("user-agent").unwrap_or_default().into(),
                            forwarded_for: r.header("x-forwarded-for").unwrap_or_default().into(),
                            problem: verdict.err(),
                        };
                        let bad = event.problem.is_some();
                        if let Ok(mut all) = kept.lock() {
                            all.push(event);
                        }
                        let code = answer.load(Ordering::SeqCst);
                        let (status, text) = match (bad, code) {
                            (true, _) => ("400 Bad Request".to_string(), "contract broken"),
                            (false, 202) => ("202 Accepted".to_string(), "ok"),
                            (false, other) => (format!("{other} Error"), "failing on purpose"),
                        };
                        if respond(&mut writer, &status, "text/plain", text).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self {
            port,
            events,
            status,
            stop,
        }
    }

    /// Its base URL (`PLAUSIBLE_URL`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request received so far.
    pub fn events(&self) -> Vec<PlausibleEvent> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// From now on, answers every valid event with this status (e.g. 500 to fail them).
    pub fn answer_with(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }
}

impl Drop for PlausibleStub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}
