//! The cheapest possible proxy-wasm HTTP filter, as a yardstick for Cleave's filter:
//! `configuration: ""` passes every request untouched, `configuration: "read"` copies the
//! request headers out of Envoy (as Cleave's filter does) and nothing else,
//! `configuration: "add"` adds one request header and nothing else.

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType};

proxy_wasm::main! {{
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Floor { work: Work::Nothing }) });
}}

/// What each request does.
#[derive(Clone, Copy, PartialEq)]
enum Work {
    Nothing,
    Read,
    Add,
}

/// Root context: remembers what requests do.
struct Floor {
    work: Work,
}

impl Context for Floor {}

impl RootContext for Floor {
    fn on_configure(&mut self, _size: usize) -> bool {
        self.work = match self.get_plugin_configuration().as_deref() {
            Some(b"add") => Work::Add,
            Some(b"read") => Work::Read,
            _ => Work::Nothing,
        };
        true
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Request { work: self.work }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

/// Per request: the configured work.
struct Request {
    work: Work,
}

impl Context for Request {}

impl HttpContext for Request {
    fn on_http_request_headers(&mut self, _headers: usize, _end_of_stream: bool) -> Action {
        match self.work {
            Work::Nothing => {}
            Work::Read => drop(self.get_http_request_headers()),
            Work::Add => self.add_http_request_header("x-floor", "1"),
        }
        Action::Continue
    }
}
