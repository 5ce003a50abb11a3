//! Validation of the fields that serve integrations: the population cap and the extra
//! settings of the ab-testing-service API.

use super::experiment::Experiment;
use super::limits::{MAX_ADDITIONAL_FEATURES_BYTES, MAX_TOTAL_POPULATION};
use super::validate::Problems;
use alloc::format;
use alloc::string::ToString;
use serde_json::Value;

impl Experiment {
    pub(super) fn validate_integrations(&self, p: &mut Problems) {
        if let Some(cap) = self.total_population {
            if !(1..=MAX_TOTAL_POPULATION).contains(&cap) {
                p.add(
                    "total_population",
                    "out_of_range",
                    format!("must be between 1 and {MAX_TOTAL_POPULATION}"),
                );
            } else if self.shards != 1 {
                p.add(
                    "total_population",
                    "invalid",
                    "needs shards: 1 (one shard counts the population exactly)",
                );
            }
        }
        if let Some(gate) = &self.gate
            && let Err(e) = super::ids::check_id(&gate.unleash)
        {
            p.add("gate.unleash", e.code(), e.to_string());
        }
        match &self.additional_features {
            None | Some(Value::Object(_)) => {}
            Some(_) => p.add("additional_features", "invalid", "must be a JSON object"),
        }
        if let Some(features) = &self.additional_features {
            let bytes = serde_json::to_string(features).map_or(usize::MAX, |s| s.len());
            if bytes > MAX_ADDITIONAL_FEATURES_BYTES {
                p.add(
                    "additional_features",
                    "too_long",
                    format!("must be at most {MAX_ADDITIONAL_FEATURES_BYTES} bytes of JSON"),
                );
            }
        }
    }
}
