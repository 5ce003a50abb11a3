//! `GET /api/v1/progress`: users per variant against the planned sample size, for every
//! experiment at once (the dashboard's list and `/metrics` use the same numbers).

use cleave_core::analysis::{progress, required_sample_size};
use cleave_core::model::Experiment;
use serde::Serialize;

/// One experiment's progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExperimentProgress {
    /// Experiment id.
    pub experiment_id: String,
    /// Its status.
    pub status: String,
    /// Exposed users over all variants.
    pub users: u64,
    /// Exposed users of the smallest variant.
    pub smallest_variant_users: u64,
    /// Users needed per variant (from the planning fields), if planned.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub required_sample_size: Option<u64>,
    /// `smallest_variant_users / required_sample_size`, capped at 1, if planned.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub progress: Option<f64>,
}

/// Progress of each experiment from assignment counts per (experiment id, variant).
/// A variant with no row has 0 users.
pub fn compute(
    experiments: &[Experiment],
    assignments: &[(String, String, u64)],
) -> Vec<ExperimentProgress> {
    experiments
        .iter()
        .map(|e| {
            let users_of = |variant: &str| {
                assignments
                    .iter()
                    .find(|(id, v, _)| *id == e.id && v == variant)
                    .map_or(0, |(_, _, n)| *n)
            };
            let counts: Vec<u64> = e.variants.iter().map(|v| users_of(&v.name)).collect();
            let smallest = counts.iter().copied().min().unwrap_or(0);
            let required = required_sample_size(e);
            ExperimentProgress {
                experiment_id: e.id.clone(),
                status: e.status.to_string(),
                users: counts.iter().sum(),
                smallest_variant_users: smallest,
                required_sample_size: required,
                progress: required.map(|r| progress(smallest, r)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::compute;
    use cleave_core::model::Experiment;

    fn experiment(id: &str, planning: &str) -> serde_json::Result<Experiment> {
        serde_json::from_str(&format!(
            r#"{{"id":"{id}","key":"{id}","name":"{id}","variants":[{{"name":"a"}},{{"name":"b"}}]{planning}}}"#
        ))
    }

    #[test]
    fn progress_is_the_smallest_variant_over_the_plan() -> serde_json::Result<()> {
        let planned = experiment("p", r#","target_sample_size":200"#)?;
        let unplanned = experiment("u", "")?;
        let counts = vec![
            ("p".to_string(), "a".to_string(), 50),
            ("p".to_string(), "b".to_string(), 30),
            ("u".to_string(), "a".to_string(), 7),
            ("other".to_string(), "a".to_string(), 1000),
        ];
        let out = compute(&[planned, unplanned], &counts);
        assert_eq!(out[0].users, 80);
        assert_eq!(out[0].smallest_variant_users, 30);
        assert_eq!(out[0].required_sample_size, Some(100));
        assert_eq!(out[0].progress, Some(0.3));
        assert_eq!(out[1].users, 7);
        assert_eq!(out[1].smallest_variant_users, 0, "b has no users");
        assert_eq!(out[1].progress, None);
        Ok(())
    }
}
