//! Exposures from `/assign` and the proxy, coalesced per isolate: queued in memory and
//! written in one multi-row insert per flush window, kept alive by `wait_until`.

use crate::store::{D1Store, Exposure, Store};
use std::cell::{Cell, RefCell};
use std::time::Duration;
use worker::{Context, Delay, Env};

/// How long exposures wait to be written together.
const FLUSH_AFTER: Duration = Duration::from_millis(50);
/// Queue length that triggers a flush without waiting.
const FLUSH_AT: usize = 2_000;

thread_local! {
    static QUEUE: RefCell<Vec<Exposure>> = const { RefCell::new(Vec::new()) };
    static SCHEDULED: Cell<bool> = const { Cell::new(false) };
}

/// Writes out this isolate's queued exposures now (before tracking events, so an event
/// right after its `/assign` finds the exposure). Free when nothing is queued.
pub async fn flush_now(env: &Env) {
    let batch = QUEUE.with(|q| std::mem::take(&mut *q.borrow_mut()));
    if batch.is_empty() {
        return;
    }
    write(env.d1("DB"), batch).await;
}

async fn write(db: worker::Result<worker::D1Database>, batch: Vec<Exposure>) {
    let result = match db {
        Ok(db) => D1Store::new(db)
            .record_exposures(&batch)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = result {
        worker::console_error!("writing {} exposures failed: {e}", batch.len());
    }
}

/// Queues exposures; the first one of a window schedules the flush.
pub fn record(env: &Env, ctx: &Context, exposures: Vec<Exposure>) {
    let len = QUEUE.with(|q| {
        let mut q = q.borrow_mut();
        q.extend(exposures);
        q.len()
    });
    let urgent = len >= FLUSH_AT;
    if SCHEDULED.with(Cell::get) && !urgent {
        return;
    }
    SCHEDULED.with(|s| s.set(true));
    let db = env.d1("DB");
    ctx.wait_until(async move {
        if !urgent {
            Delay::from(FLUSH_AFTER).await;
        }
        SCHEDULED.with(|s| s.set(false));
        let batch = QUEUE.with(|q| std::mem::take(&mut *q.borrow_mut()));
        if !batch.is_empty() {
            write(db, batch).await;
        }
    });
}
