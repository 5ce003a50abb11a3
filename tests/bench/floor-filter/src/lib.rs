//! The cheapest possible proxy-wasm HTTP filter, as a yardstick for Cleave's filter:
//! `configuration: ""` passes every request untouched, `configuration: "add"` adds one
//! request header and nothing else.

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType};

proxy_wasm::main! {{
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Floor { add: false }) });
}}

/// Root context: remembers whether requests get a header.
struct Floor {
    add: bool,
}

impl Context for Floor {}

impl RootContext for Floor {
    fn on_configure(&mut self, _size: usize) -> bool {
        self.add = self.get_plugin_configuration().as_deref() == Some(b"add".as_slice());
        true
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Request { add: self.add }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

/// Per request: at most one header added.
struct Request {
    add: bool,
}

impl Context for Request {}

impl HttpContext for Request {
    fn on_http_request_headers(&mut self, _headers: usize, _end_of_stream: bool) -> Action {
        if self.add {
            self.add_http_request_header("x-floor", "1");
        }
        Action::Continue
    }
}
