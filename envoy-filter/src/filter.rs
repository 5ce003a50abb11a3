//! The proxy-wasm glue: a root context that parses the configuration once and HTTP
//! contexts that apply [`plan`](crate::plan::plan) to each request.

use crate::config::Config;
use crate::plan::plan;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};
use std::rc::Rc;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root { config: None }) });
}}

struct Root {
    config: Option<Rc<Config>>,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        let bytes = self.get_plugin_configuration().unwrap_or_default();
        match Config::parse(&bytes) {
            Ok(config) => {
                proxy_wasm::hostcalls::log(
                    LogLevel::Info,
                    &format!(
                        "cleave filter {} configured: {} running experiment(s)",
                        cleave_core::VERSION,
                        config.experiments.len()
                    ),
                )
                .ok();
                self.config = Some(Rc::new(config));
                true
            }
            Err(e) => {
                proxy_wasm::hostcalls::log(LogLevel::Error, &e.to_string()).ok();
                false
            }
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Request {
            config: self.config.clone(),
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Request {
    config: Option<Rc<Config>>,
}

impl Context for Request {}

impl HttpContext for Request {
    fn on_http_request_headers(&mut self, _headers: usize, _end_of_stream: bool) -> Action {
        let Some(config) = self.config.as_deref() else {
            return Action::Continue; // fail open
        };
        let headers = self.get_http_request_headers();
        let host = self
            .get_http_request_header(":authority")
            .unwrap_or_default();
        let path = self.get_http_request_header(":path").unwrap_or_default();
        let changes = plan(config, &headers, &host, &path);
        for name in &changes.remove {
            self.set_http_request_header(name, None);
        }
        for (name, value) in &changes.add {
            self.set_http_request_header(name, Some(value));
        }
        Action::Continue
    }
}
