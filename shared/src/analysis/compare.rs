//! Per-variant statistics and one treatment-vs-control comparison.

use super::input::{MetricType, VariantData};
use super::report::{Comparison, VariantReport};
use crate::stats::distributions::t_two_sided_quantile;
use crate::stats::{Counts, Summary, beta_binomial, msprt, two_proportion, welch, wilson_interval};
use libm::sqrt;

/// Descriptive statistics of one variant.
pub fn describe(v: &VariantData, metric: MetricType, alpha: f64) -> VariantReport {
    let counts = Counts {
        n: v.users,
        conversions: v.conversions,
    };
    let confidence_interval = match metric {
        MetricType::Binary => wilson_interval(counts, alpha).ok(),
        MetricType::Continuous if v.users >= 2 => {
            let half = t_two_sided_quantile(alpha, (v.users - 1) as f64)
                * sqrt(v.variance / v.users as f64);
            Some([v.mean - half, v.mean + half]).filter(|ci| ci.iter().all(|x| x.is_finite()))
        }
        MetricType::Continuous => None,
    };
    VariantReport {
        variant: v.name.clone(),
        sample_size: v.users,
        conversions: v.conversions,
        conversion_rate: counts.rate(),
        mean_value: v.mean,
        std_dev: sqrt(v.variance),
        confidence_interval,
    }
}

/// The comparison of `treatment` against `control` (before any correction).
pub fn compare(
    control: &VariantData,
    treatment: &VariantData,
    metric: MetricType,
    alpha: f64,
    tau2: Option<f64>,
) -> Comparison {
    match metric {
        MetricType::Binary => compare_binary(control, treatment, alpha, tau2),
        MetricType::Continuous => compare_continuous(control, treatment, alpha),
    }
}

fn compare_binary(
    control: &VariantData,
    treatment: &VariantData,
    alpha: f64,
    tau2: Option<f64>,
) -> Comparison {
    let c = Counts {
        n: control.users,
        conversions: control.conversions,
    };
    let t = Counts {
        n: treatment.users,
        conversions: treatment.conversions,
    };
    let test = two_proportion(c, t, alpha).ok();
    let bayes = beta_binomial(c, t).ok();
    let sequential = tau2.and_then(|tau2| msprt(c, t, tau2).ok());
    Comparison {
        variant: treatment.name.clone(),
        test: "two_proportion_z",
        statistic: test.map(|r| r.z),
        df: None,
        p_value: test.map(|r| r.p_value),
        adjusted_p_value: None,
        difference: t.rate() - c.rate(),
        difference_ci: test.map(|r| r.diff_ci),
        relative_lift: test.and_then(|r| r.relative_lift),
        significant: false,
        probability_to_beat_control: bayes.map(|b| b.prob_treatment_better),
        expected_loss: bayes.map(|b| b.expected_loss_treatment),
        sequential_p_value: sequential.map(|s| s.p_value),
    }
}

fn compare_continuous(control: &VariantData, treatment: &VariantData, alpha: f64) -> Comparison {
    let summary = |v: &VariantData| Summary {
        n: v.users,
        mean: v.mean,
        variance: v.variance,
    };
    let test = welch(summary(control), summary(treatment), alpha).ok();
    let difference = treatment.mean - control.mean;
    Comparison {
        variant: treatment.name.clone(),
        test: "welch_t",
        statistic: test.map(|r| r.t),
        df: test.map(|r| r.df),
        p_value: test.map(|r| r.p_value),
        adjusted_p_value: None,
        difference,
        difference_ci: test.map(|r| r.diff_ci),
        relative_lift: Some(difference / control.mean).filter(|l| l.is_finite()),
        significant: false,
        probability_to_beat_control: None,
        expected_loss: None,
        sequential_p_value: None,
    }
}
