//! Exposures (and holdout arms) from `/assign` and the proxy, coalesced per isolate: queued
//! in memory and written in multi-row inserts per flush window, kept alive by `wait_until`.

use crate::store::{D1Store, Exposure, HoldoutMember, Store};
use std::cell::{Cell, RefCell};
use std::time::Duration;
use worker::{Context, Delay, Env};

/// How long exposures wait to be written together.
const FLUSH_AFTER: Duration = Duration::from_millis(50);
/// Queue length that triggers a flush without waiting.
const FLUSH_AT: usize = 2_000;

/// What decisions left to write.
#[derive(Default)]
struct Pending {
    exposures: Vec<Exposure>,
    members: Vec<HoldoutMember>,
}

impl Pending {
    fn len(&self) -> usize {
        self.exposures.len() + self.members.len()
    }
}

thread_local! {
    static QUEUE: RefCell<Pending> = RefCell::new(Pending::default());
    static SCHEDULED: Cell<bool> = const { Cell::new(false) };
}

/// Writes out this isolate's queued exposures and holdout arms now (before tracking
/// events, so an event right after its `/assign` finds them). Free when nothing is queued.
pub async fn flush_now(env: &Env) {
    let batch = QUEUE.with(|q| std::mem::take(&mut *q.borrow_mut()));
    if batch.len() == 0 {
        return;
    }
    write(env.d1("DB"), batch).await;
}

async fn write(db: worker::Result<worker::D1Database>, batch: Pending) {
    let store = match db {
        Ok(db) => D1Store::new(db),
        Err(e) => {
            worker::console_error!("writing {} decisions failed: {e}", batch.len());
            return;
        }
    };
    if !batch.exposures.is_empty()
        && let Err(e) = store.record_exposures(&batch.exposures).await
    {
        worker::console_error!("writing {} exposures failed: {e}", batch.exposures.len());
    }
    if !batch.members.is_empty()
        && let Err(e) = store.record_holdout_members(&batch.members).await
    {
        worker::console_error!("writing {} holdout arms failed: {e}", batch.members.len());
    }
}

/// Queues exposures and holdout arms; the first of a window schedules the flush.
pub fn record(env: &Env, ctx: &Context, exposures: Vec<Exposure>, members: Vec<HoldoutMember>) {
    if exposures.is_empty() && members.is_empty() {
        return;
    }
    let len = QUEUE.with(|q| {
        let mut q = q.borrow_mut();
        q.exposures.extend(exposures);
        q.members.extend(members);
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
        if batch.len() > 0 {
            write(db, batch).await;
        }
    });
}
