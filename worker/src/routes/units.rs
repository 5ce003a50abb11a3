//! Per-unit data (admin): the data-subject deletion and the NDJSON export of an
//! experiment's units for warehouses.

use super::{Call, call::json, store};
use crate::error::{ApiError, ApiResult};
use crate::service::{experiments, units};
use crate::shard::ShardPlane;
use crate::shard::protocol::ExportPage;
use futures_util::stream;
use worker::Response;

/// `DELETE /api/v1/units/{id}` (the id percent-decoded: unit ids may hold any character
/// but control characters).
pub async fn delete(c: Call) -> ApiResult<Response> {
    let id = c.decoded_param("id")?;
    json(200, &units::delete(&store(&c.env)?, &id).await?)
}

/// Where an export is: the shard being read and the unit to continue after.
struct Cursor {
    plane: ShardPlane,
    experiment_id: String,
    shards: u16,
    shard: u16,
    after: Option<String>,
    done: bool,
}

/// Lines of one page: one JSON object per unit, each ending in a newline.
fn lines(page: &ExportPage) -> Vec<u8> {
    let mut out = Vec::new();
    for row in &page.rows {
        if let Ok(line) = serde_json::to_vec(row) {
            out.extend_from_slice(&line);
            out.push(b'\n');
        }
    }
    out
}

/// `GET /api/v1/experiments/{id}/export`: one JSON line per exposed unit (its variant,
/// first exposure, context and per-metric totals), streamed shard by shard, page by page,
/// so an export of any size holds one page in memory. A shard failing midway ends the
/// stream with an error (the response is cut short, never silently complete).
pub async fn export(c: Call) -> ApiResult<Response> {
    let store = store(&c.env)?;
    let e = experiments::load(&store, c.param("id")).await?;
    let start = Cursor {
        plane: store.plane().clone(),
        experiment_id: e.id.clone(),
        shards: e.shards.max(1),
        shard: 0,
        after: None,
        done: false,
    };
    let body = stream::unfold(start, |mut at| async move {
        if at.done {
            return None;
        }
        let page = match at
            .plane
            .export_page(&at.experiment_id, at.shard, at.after.take())
            .await
        {
            Ok(p) => p,
            Err(err) => {
                at.done = true;
                return Some((Err(worker::Error::RustError(err.to_string())), at));
            }
        };
        match &page.next {
            Some(next) => at.after = Some(next.clone()),
            None if at.shard + 1 < at.shards => at.shard += 1,
            None => at.done = true,
        }
        Some((Ok::<Vec<u8>, worker::Error>(lines(&page)), at))
    });
    let mut response = Response::from_stream(body).map_err(ApiError::from)?;
    response
        .headers_mut()
        .set("content-type", "application/x-ndjson")?;
    response.headers_mut().set(
        "content-disposition",
        &format!("attachment; filename=\"{}.ndjson\"", e.key),
    )?;
    Ok(response)
}
