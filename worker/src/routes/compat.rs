//! The second seed's client calls: thin aliases onto the same logic.

use super::edge::{handle_assign, handle_track};
use super::experiments::{create_published, transition_published};
use super::{Routes, admin, param, public, query_as_json, query_string, store};
use crate::error::ApiResult;
use crate::service::{experiments, stats};

/// Adds this module's routes.
pub(super) fn routes(r: Routes) -> Routes {
    r.post_async("/api/experiments", |mut req, c| async move {
        let body = req.bytes().await?;
        admin(&req, &c.env, async {
            create_published(&c.env, &body, experiments::Dialect::SecondSeed).await
        })
        .await
    })
    .get_async("/api/experiments/:name", |req, c| async move {
        let name = param(&c, "name");
        admin(&req, &c.env, async {
            Ok((200, experiments::load(&store(&c.env)?, &name).await?))
        })
        .await
    })
    .post_async("/api/experiments/:name/status", |mut req, c| async move {
        let name = param(&c, "name");
        let body = req.bytes().await?;
        admin(&req, &c.env, async {
            #[derive(serde::Deserialize)]
            struct StatusBody {
                status: String,
            }
            let target: StatusBody = crate::service::input::json_body(&body)?;
            let current = experiments::load(&store(&c.env)?, &name).await?;
            let action = experiments::action_towards(current.status, &target.status)?;
            transition_published(&c.env, &current.id, action).await
        })
        .await
    })
    .get_async("/api/experiments/:name/stats", |req, c| async move {
        let name = param(&c, "name");
        admin(&req, &c.env, async {
            let store = store(&c.env)?;
            let e = experiments::load(&store, &name).await?;
            Ok((
                200,
                stats::stats(&store, &e, stats::StatsQuery::default()).await?,
            ))
        })
        .await
    })
    .post_async("/api/assignments/get", |mut req, c| async move {
        let body = req.bytes().await?;
        let result = async {
            let (experiment, subid) = seed_pair(&body, None)?;
            handle_assign(&c, &experiment, Ok(user_body(&subid, None))).await
        }
        .await;
        public(&req, result)
    })
    .post_async("/api/events/impression", |mut req, c| async move {
        let body = req.bytes().await?;
        let query = query_string(&req);
        let result = async {
            let (experiment, subid) = seed_pair(&body, Some(&query))?;
            handle_assign(&c, &experiment, Ok(user_body(&subid, None))).await
        }
        .await;
        public(&req, result)
    })
    .post_async("/api/events/conversion", |mut req, c| async move {
        let body = req.bytes().await?;
        let query = query_string(&req);
        let result = async {
            let (experiment, subid) = seed_pair(&body, Some(&query))?;
            handle_track(
                &c.env,
                &experiment,
                Ok(user_body(&subid, Some("conversion"))),
            )
            .await
        }
        .await;
        public(&req, result)
    })
}

/// `{subid, experiment_id}` from a JSON body or the query string (second seed).
fn seed_pair(body: &[u8], query: Option<&str>) -> ApiResult<(String, String)> {
    #[derive(serde::Deserialize)]
    struct Pair {
        subid: String,
        experiment_id: String,
    }
    let pair: Pair = if body.iter().all(u8::is_ascii_whitespace) {
        crate::service::input::json_body(&query_as_json(query.unwrap_or(""), &[]))?
    } else {
        crate::service::input::json_body(body)?
    };
    Ok((pair.experiment_id, pair.subid))
}

/// An assign or track body for a second-seed `subid`.
fn user_body(subid: &str, event_name: Option<&str>) -> Vec<u8> {
    match event_name {
        Some(name) => serde_json::json!({"user_id": subid, "event_name": name}),
        None => serde_json::json!({"user_id": subid}),
    }
    .to_string()
    .into_bytes()
}
