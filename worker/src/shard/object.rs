//! The `Shard` Durable Object: one (experiment, shard)'s units and events in its SQLite
//! storage. Every request runs in one synchronous storage transaction, so it is applied
//! whole or not at all, and the answer leaves only once it is durable (the runtime holds
//! a response back until the write it follows is committed).

use super::protocol::ShardRequest;
use super::tables;
use std::cell::RefCell;
use std::rc::Rc;
use worker::js_sys::Function;
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen::prelude::*;
use worker::{DurableObject, Env, Request, Response, Result, SqlStorage, State, durable_object};

#[wasm_bindgen]
extern "C" {
    /// The storage API's `transactionSync`, which workers-rs does not wrap.
    type TransactionalStorage;
    #[wasm_bindgen(method, catch, js_name = transactionSync)]
    fn transaction_sync(
        this: &TransactionalStorage,
        body: &Function,
    ) -> std::result::Result<JsValue, JsValue>;
}

/// One data-plane shard.
#[durable_object(fetch)]
pub struct Shard {
    state: State,
}

impl DurableObject for Shard {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        if let Err(e) = sql.exec(tables::SCHEMA, None) {
            worker::console_error!("creating a shard's tables failed: {e}");
        }
        for statement in tables::ADDED_COLUMNS {
            // Fails (harmlessly) where the column exists already.
            let _ = sql.exec(statement, None);
        }
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        // Text and serde_json: converting the runtime's parsed JSON into Rust values
        // (`Request::json`) is slower, the more so the larger the batch.
        let text = req.text().await?;
        let request: ShardRequest = match serde_json::from_str(&text) {
            Ok(r) => r,
            Err(e) => return Response::error(format!("bad shard request: {e}"), 400),
        };
        match self.run(request) {
            Ok(body) => {
                let mut response = Response::ok(body)?;
                response
                    .headers_mut()
                    .set("content-type", "application/json")?;
                Ok(response)
            }
            Err(e) => {
                worker::console_error!("a shard request failed (nothing was written): {e}");
                Response::error(format!("shard: {e}"), 500)
            }
        }
    }
}

impl Shard {
    /// Runs `request` in one transaction; the answer as JSON.
    fn run(&self, request: ShardRequest) -> Result<String> {
        let storage = self.state.storage();
        let sql = storage.sql();
        let answer: Rc<RefCell<Option<Result<String>>>> = Rc::new(RefCell::new(None));
        let slot = Rc::clone(&answer);
        let body = Closure::once(move || -> std::result::Result<JsValue, JsValue> {
            match apply(&sql, &request) {
                Ok(json) => {
                    *slot.borrow_mut() = Some(Ok(json));
                    Ok(JsValue::UNDEFINED)
                }
                // Throwing rolls the transaction back.
                Err(e) => {
                    let message = e.to_string();
                    *slot.borrow_mut() = Some(Err(e));
                    Err(JsValue::from_str(&message))
                }
            }
        });
        let raw: &TransactionalStorage = storage.as_raw().unchecked_ref();
        let outcome = raw.transaction_sync(body.as_ref().unchecked_ref());
        let stored = answer.borrow_mut().take();
        match (outcome, stored) {
            (Ok(_), Some(Ok(json))) => Ok(json),
            (_, Some(Err(e))) => Err(e),
            (Err(e), _) => Err(worker::Error::from(e)),
            (Ok(_), None) => Err(worker::Error::RustError(
                "the shard transaction did not run".into(),
            )),
        }
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| worker::Error::RustError(e.to_string()))
}

/// Applies one request to the shard's tables.
fn apply(sql: &SqlStorage, request: &ShardRequest) -> Result<String> {
    match request {
        ShardRequest::Expose { exposures, cap } => to_json(&tables::expose(sql, exposures, *cap)?),
        ShardRequest::Variants { user_ids } => to_json(&tables::variants(sql, user_ids)?),
        ShardRequest::Exposures { user_ids } => to_json(&tables::exposures(sql, user_ids)?),
        ShardRequest::Events { filter } => to_json(&tables::events(sql, filter)?),
        ShardRequest::Track { events } => to_json(&tables::track(sql, events)?),
        ShardRequest::Stats { metric } => to_json(&tables::stats(sql, metric)?),
        ShardRequest::Counts => to_json(&tables::counts(sql)?),
        ShardRequest::Segments { metric, json_path } => {
            to_json(&tables::segments(sql, metric, json_path)?)
        }
        ShardRequest::Bump { counts } => to_json(&tables::bump(sql, counts)?),
        ShardRequest::Counters => to_json(&tables::counters(sql)?),
        ShardRequest::Clear => {
            tables::clear(sql)?;
            Ok("{}".to_string())
        }
        ShardRequest::Forget { user_id } => to_json(&tables::forget(sql, user_id)?),
        ShardRequest::Export { after, limit } => {
            to_json(&tables::export(sql, after.as_deref(), *limit)?)
        }
    }
}
