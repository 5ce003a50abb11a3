//! A stand-in Unleash server: `GET /api/client/features` answers the state it is given
//! (a client-specification file's `state`), with an `ETag` and 304 on `If-None-Match`, only
//! to the configured token; it can be told to fail or to answer garbage.

use crate::echo::{read_request, respond};
use std::io::BufReader;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What the server answers.
#[derive(Debug, Clone)]
pub enum Features {
    /// This JSON body (with its ETag).
    Serve(String),
    /// This status, no features.
    Fail(u16),
    /// A 200 whose body is not client features.
    Garbage,
}

/// The stand-in server.
pub struct UnleashStub {
    /// Its port on 127.0.0.1.
    pub port: u16,
    answer: Arc<Mutex<Features>>,
    not_modified: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

/// The `ETag` of a body: a quoted hex digest of its bytes.
fn etag(body: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body.bytes() {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("\"{hash:016x}\"")
}

impl UnleashStub {
    /// Starts the server on a free port; it accepts only `Authorization: <token>`.
    pub fn start(token: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the Unleash stand-in");
        let port = listener.local_addr().expect("local addr").port();
        let answer = Arc::new(Mutex::new(Features::Fail(503)));
        let not_modified = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let token = token.to_string();
        let (a, n, r, flag) = (
            answer.clone(),
            not_modified.clone(),
            requests.clone(),
            stop.clone(),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (a, n, r, token) = (a.clone(), n.clone(), r.clone(), token.clone());
                std::thread::spawn(move || {
                    let Ok(read_half) = stream.try_clone() else {
                        return;
                    };
                    let mut reader = BufReader::new(read_half);
                    let mut writer = stream;
                    while let Ok(Some(req)) = read_request(&mut reader) {
                        r.fetch_add(1, Ordering::SeqCst);
                        let current = a.lock().map(|f| f.clone()).unwrap_or(Features::Fail(500));
                        let authorized = req.header("authorization") == Some(token.as_str());
                        let sent = if req.method != "GET" || req.path != "/api/client/features" {
                            respond(&mut writer, "404 Not Found", "text/plain", "not found")
                        } else if !authorized {
                            respond(&mut writer, "401 Unauthorized", "text/plain", "token")
                        } else {
                            match current {
                                Features::Serve(body) => {
                                    let tag = etag(&body);
                                    if req.header("if-none-match") == Some(tag.as_str()) {
                                        n.fetch_add(1, Ordering::SeqCst);
                                        let response = "HTTP/1.1 304 Not Modified\r\ncontent-length: 0\r\n\r\n";
                                        std::io::Write::write_all(&mut writer, response.as_bytes())
                                    } else {
                                        let response = format!(
                                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\netag: {tag}\r\ncontent-length: {}\r\n\r\n{body}",
                                            body.len()
                                        );
                                        std::io::Write::write_all(&mut writer, response.as_bytes())
                                    }
                                }
                                Features::Fail(code) => respond(
                                    &mut writer,
                                    &format!("{code} Failing"),
                                    "text/plain",
                                    "failing on purpose",
                                ),
                                Features::Garbage => respond(
                                    &mut writer,
                                    "200 OK",
                                    "application/json",
                                    "{\"not\": \"features\"}",
                                ),
                            }
                        };
                        if sent.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self {
            port,
            answer,
            not_modified,
            requests,
            stop,
        }
    }

    /// Its base URL (`UNLEASH_URL`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// From now on, answers this.
    pub fn answer(&self, features: Features) {
        if let Ok(mut a) = self.answer.lock() {
            *a = features;
        }
    }

    /// How many 304s it gave.
    pub fn not_modified(&self) -> usize {
        self.not_modified.load(Ordering::SeqCst)
    }

    /// How many requests it got.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for UnleashStub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}
