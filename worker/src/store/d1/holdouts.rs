//! A holdout's own results on the data plane: its members' arms and the events of its
//! metrics live in shards like an experiment's (`holdout:<name>/<shard>`, a fixed
//! [`HOLDOUT_SHARDS`]), with the arms `held_out` and `exposed` as the variants, so a
//! holdout's results merge a few rows per shard and never scan members or events.

use super::CloudStore;
use crate::shard::protocol::{UnitEvent, UnitExposure};
use crate::shard::{HOLDOUT_SHARDS, Sharded};
use crate::store::{
    HOLDOUT_ARMS, HoldoutEvent, HoldoutMember, StoreResult, Tracked, VariantAggregate,
};
use futures_util::future::try_join_all;
use std::collections::BTreeMap;

/// The shards of one holdout's results.
pub(super) struct HoldoutData {
    id: String,
}

impl HoldoutData {
    pub(super) fn of(holdout: &str) -> Self {
        Self {
            id: format!("holdout:{holdout}"),
        }
    }
}

impl Sharded for HoldoutData {
    fn data_id(&self) -> &str {
        &self.id
    }

    fn shard_count(&self) -> u16 {
        HOLDOUT_SHARDS
    }
}

/// The arm a member is recorded under.
fn arm(held_out: bool) -> &'static str {
    HOLDOUT_ARMS[usize::from(!held_out)]
}

/// `items` grouped by holdout, each with its position.
fn by_holdout<T>(items: &[T], holdout: impl Fn(&T) -> &str) -> BTreeMap<&str, Vec<(usize, &T)>> {
    let mut groups: BTreeMap<&str, Vec<(usize, &T)>> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        groups.entry(holdout(item)).or_default().push((i, item));
    }
    groups
}

impl CloudStore {
    pub(super) async fn expose_holdout_members(
        &self,
        members: &[HoldoutMember],
    ) -> StoreResult<()> {
        let groups = by_holdout(members, |m| m.holdout.as_str());
        try_join_all(groups.into_iter().map(|(holdout, members)| async move {
            let exposures = members
                .into_iter()
                .map(|(_, m)| UnitExposure {
                    user_id: m.user_id.clone(),
                    variant: arm(m.held_out).to_string(),
                    reason: "holdout".to_string(),
                    at: m.at,
                    context: None,
                })
                .collect();
            self.plane
                .expose(&HoldoutData::of(holdout), exposures)
                .await
        }))
        .await?;
        Ok(())
    }

    pub(super) async fn holdout_members_among(
        &self,
        holdouts: &[&str],
        user_ids: &[&str],
    ) -> StoreResult<Vec<(String, String)>> {
        let users: Vec<String> = user_ids.iter().map(|u| u.to_string()).collect();
        let answers = try_join_all(holdouts.iter().map(|holdout| {
            let users = users.clone();
            async move {
                let variants = self
                    .plane
                    .variants(&HoldoutData::of(holdout), users)
                    .await?;
                StoreResult::Ok((*holdout, variants))
            }
        }))
        .await?;
        Ok(answers
            .into_iter()
            .flat_map(|(holdout, variants)| {
                user_ids
                    .iter()
                    .zip(variants)
                    .filter(|(_, v)| v.is_some())
                    .map(move |(u, _)| (holdout.to_string(), u.to_string()))
            })
            .collect())
    }

    pub(super) async fn track_holdout_events(
        &self,
        events: &[HoldoutEvent],
    ) -> StoreResult<Vec<bool>> {
        let groups = by_holdout(events, |e| e.holdout.as_str());
        let answers = try_join_all(groups.into_iter().map(|(holdout, events)| async move {
            let (positions, events): (Vec<usize>, Vec<UnitEvent>) = events
                .into_iter()
                .map(|(i, e)| {
                    (
                        i,
                        UnitEvent {
                            event_id: e.event_id.clone(),
                            user_id: e.user_id.clone(),
                            event_name: e.event_name.clone(),
                            value: e.value,
                            at: e.at,
                            metadata: None,
                        },
                    )
                })
                .unzip();
            let tracked = self.plane.track(&HoldoutData::of(holdout), events).await?;
            StoreResult::Ok((positions, tracked))
        }))
        .await?;
        let mut new = vec![false; events.len()];
        for (positions, tracked) in answers {
            for (p, t) in positions.into_iter().zip(tracked) {
                if let Some(slot) = new.get_mut(p) {
                    *slot = matches!(t, Tracked::Recorded(_));
                }
            }
        }
        Ok(new)
    }

    pub(super) async fn holdout_arm_stats(
        &self,
        holdout: &str,
        metric: &str,
    ) -> StoreResult<Vec<VariantAggregate>> {
        let (arms, _) = self.plane.stats(&HoldoutData::of(holdout), metric).await?;
        Ok(arms)
    }

    pub(super) async fn clear_holdout_data(&self, holdout: &str) -> StoreResult<()> {
        self.plane.clear(&HoldoutData::of(holdout)).await
    }

    /// Removes one unit from every holdout's results; the rows removed (memberships and
    /// events).
    pub(super) async fn forget_in_holdouts(
        &self,
        holdouts: &[String],
        user_id: &str,
    ) -> StoreResult<u64> {
        let forgotten = try_join_all(
            holdouts
                .iter()
                .map(|h| async move { self.plane.forget(&HoldoutData::of(h), user_id).await }),
        )
        .await?;
        Ok(forgotten
            .iter()
            .map(|f| u64::from(f.exposed) + f.events)
            .sum())
    }
}
