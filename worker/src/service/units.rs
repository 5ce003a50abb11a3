//! `DELETE /units/{id}`: a data-subject deletion — one unit out of every experiment and
//! every holdout's results, the statistics following.

use super::input::identifier;
use crate::error::ApiResult;
use crate::store::{Store, UnitForgotten, experiments_with_data};
use serde::Serialize;

/// The answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitDeleted {
    /// The unit.
    pub user_id: String,
    /// What was removed.
    #[serde(flatten)]
    pub removed: UnitForgotten,
}

/// Removes `user_id` from every experiment that can hold data (drafts never do) and from
/// the holdouts' results. Idempotent: a second call removes nothing and says so.
pub async fn delete<S: Store>(store: &S, user_id: &str) -> ApiResult<UnitDeleted> {
    identifier("id", user_id)?;
    let experiments = experiments_with_data(store).await?;
    let removed = store.forget_unit(&experiments, user_id).await?;
    Ok(UnitDeleted {
        user_id: user_id.to_string(),
        removed,
    })
}
