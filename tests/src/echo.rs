//! A tiny upstream that answers every request with its method, path and headers as JSON.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The echo server; stops accepting when dropped.
pub struct EchoServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl EchoServer {
    /// Starts the server on a free port, in a background thread.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind echo server");
        let port = listener.local_addr().expect("local addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                std::thread::spawn(move || {
                    let _ = serve(stream, port);
                });
            }
        });
        Self { port, stop }
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// One HTTP/1.1 request as a test server reads it.
pub struct Received {
    /// Method.
    pub method: String,
    /// Path with query.
    pub path: String,
    /// Headers by lowercase name (a repeated header's values joined with `, `).
    pub headers: serde_json::Map<String, serde_json::Value>,
    /// The body (`Content-Length` or chunked).
    pub body: Vec<u8>,
}

impl Received {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.as_str())
    }
}

/// Reads the next request of a connection (`None` once the client closed it).
pub fn read_request(reader: &mut impl BufRead) -> std::io::Result<Option<Received>> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line)? == 0 {
        return Ok(None);
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = serde_json::Map::new();
    let mut length = 0usize;
    loop {
        // Header values may hold any byte from 0x80 (obs-text): read lossily.
        let mut raw = Vec::new();
        reader.read_until(b'\n', &mut raw)?;
        let line = String::from_utf8_lossy(&raw);
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim().to_string();
            if name == "content-length" {
                length = value.parse().unwrap_or(0);
            }
            // A repeated header is reported once, its values joined as HTTP would.
            let joined = match headers.get(&name).and_then(|v| v.as_str()) {
                Some(first) => format!("{first}, {value}"),
                None => value,
            };
            headers.insert(name, serde_json::Value::String(joined));
        }
    }
    let chunked = headers
        .get("transfer-encoding")
        .and_then(|v| v.as_str())
        .is_some_and(|v| v.contains("chunked"));
    let body = if chunked {
        read_chunked(reader)?
    } else {
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        body
    };
    Ok(Some(Received {
        method,
        path,
        headers,
        body,
    }))
}

/// Writes a response in one write (no Nagle: piecewise writes meet delayed ACKs and cost
/// 40 ms each).
pub fn respond(
    writer: &mut impl Write,
    status: &str,
    content_type: &str,
    body: &str,
) -> std::io::Result<()> {
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    writer.write_all(response.as_bytes())?;
    writer.flush()
}

fn serve(stream: std::net::TcpStream, port: u16) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    while let Some(r) = read_request(&mut reader)? {
        let reply = serde_json::json!({
            "server_port": port, "method": r.method, "path": r.path, "headers": r.headers,
            "body": String::from_utf8_lossy(&r.body), "body_length": r.body.len()
        })
        .to_string();
        respond(&mut writer, "200 OK", "application/json", &reply)?;
    }
    Ok(())
}

/// Reads a `Transfer-Encoding: chunked` body.
fn read_chunked(reader: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line)?;
        let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16)
            .unwrap_or(0);
        let mut chunk = vec![0; size + 2]; // data + CRLF
        reader.read_exact(&mut chunk)?;
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}
