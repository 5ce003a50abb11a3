//! A minimal keep-alive HTTP/1.1 client that sends header values as raw bytes (for
//! Unicode user ids and non-UTF-8 values, which general-purpose clients refuse to send).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// One persistent connection.
pub struct RawClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl RawClient {
    /// Connects to 127.0.0.1:`port`.
    pub fn connect(port: u16) -> std::io::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// `GET path` with extra headers; returns (status, body).
    pub fn get(&mut self, path: &str, headers: &[(&str, &str)]) -> std::io::Result<(u16, String)> {
        let bytes: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
        self.get_bytes(path, &bytes)
    }

    /// `GET path` with header values sent as the given bytes (any byte but CR and LF).
    pub fn get_bytes(
        &mut self,
        path: &str,
        headers: &[(&str, &[u8])],
    ) -> std::io::Result<(u16, String)> {
        let mut request = format!("GET {path} HTTP/1.1\r\nhost: localhost\r\n").into_bytes();
        for (name, value) in headers {
            request.extend_from_slice(name.as_bytes());
            request.extend_from_slice(b": ");
            request.extend_from_slice(value);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"\r\n");
        self.writer.write_all(&request)?;
        let mut status_line = String::new();
        self.reader.read_line(&mut status_line)?;
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}
