//! The verdict: winner, headline comparison and the recommendation sentence.

use super::report::{Comparison, SrmReport};
use alloc::format;
use alloc::string::String;

/// What the report concludes.
pub struct Verdict {
    /// The variant to roll out, if any.
    pub winner: Option<String>,
    /// Index into the comparisons of the headline comparison.
    pub headline: Option<usize>,
    /// One sentence for humans.
    pub recommendation: String,
}

/// Facts the verdict is drawn from.
pub struct Evidence<'a> {
    /// Name of the control.
    pub control: &'a str,
    /// Corrected comparisons.
    pub comparisons: &'a [Comparison],
    /// SRM check, if computed.
    pub srm: Option<&'a SrmReport>,
    /// Users in the smallest variant.
    pub min_users: u64,
    /// Planned users per variant.
    pub required: Option<u64>,
}

fn lift_text(c: &Comparison) -> String {
    match c.relative_lift {
        Some(l) => format!("{:+.1}%", l * 100.0),
        None => format!("{:+.4} absolute", c.difference),
    }
}

fn p_text(c: &Comparison) -> String {
    format!("{:.4}", c.adjusted_p_value.or(c.p_value).unwrap_or(1.0))
}

/// Applies the rules in order: no data; SRM mismatch (p < 0.001) overrides everything;
/// below the planned size → keep collecting; a significant improvement after the
/// correction → the best such treatment wins; every treatment significantly worse →
/// keep the control; otherwise no significant difference.
pub fn verdict(e: &Evidence<'_>) -> Verdict {
    let best_improvement = e
        .comparisons
        .iter()
        .enumerate()
        .filter(|(_, c)| c.significant && c.difference > 0.0)
        .max_by(|(_, a), (_, b)| a.difference.total_cmp(&b.difference))
        .map(|(i, _)| i);
    let smallest_p = e
        .comparisons
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.p_value.map(|p| (i, p)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i);
    let headline = best_improvement.or(smallest_p);
    let none = |recommendation: String| Verdict {
        winner: None,
        headline,
        recommendation,
    };

    if e.min_users == 0 {
        return none(String::from(
            "⏳ Waiting for data: every variant needs exposed users before it can be analysed.",
        ));
    }
    if let Some(srm) = e.srm.filter(|s| s.mismatch) {
        return none(format!(
            "⚠️ Sample ratio mismatch (p={:.2e}): the users per variant do not match the configured split, so no result can be trusted. Find the cause (assignment, exposure logging, bots) before deciding.",
            srm.p_value
        ));
    }
    if let Some(required) = e.required.filter(|r| e.min_users < *r) {
        let remaining = required - e.min_users;
        let leader = headline
            .map(|i| &e.comparisons[i])
            .map_or(String::new(), |c| {
                format!(
                    " Current leader: {} ({} vs {}), not yet conclusive.",
                    c.variant,
                    lift_text(c),
                    e.control
                )
            });
        return none(format!(
            "⏳ Keep collecting: {remaining} more users per variant needed to reach the planned {required} (smallest variant has {}).{leader}",
            e.min_users
        ));
    }
    if let Some(i) = best_improvement {
        let c = &e.comparisons[i];
        return Verdict {
            winner: Some(c.variant.clone()),
            headline,
            recommendation: format!(
                "✅ Winner: {} shows {} over {} (adjusted p={}). Recommend rolling out {} to 100% traffic.",
                c.variant,
                lift_text(c),
                e.control,
                p_text(c),
                c.variant
            ),
        };
    }
    let all_worse = !e.comparisons.is_empty()
        && e.comparisons
            .iter()
            .all(|c| c.significant && c.difference < 0.0);
    if all_worse {
        return Verdict {
            winner: Some(String::from(e.control)),
            headline,
            recommendation: format!(
                "❌ Control wins: every treatment performs significantly worse than {}. Keep {}.",
                e.control, e.control
            ),
        };
    }
    match headline
        .map(|i| &e.comparisons[i])
        .filter(|c| c.significant)
    {
        Some(c) => none(format!(
            "⚠️ {} performs significantly worse than {} ({}, adjusted p={}); no treatment beats the control.",
            c.variant,
            e.control,
            lift_text(c),
            p_text(c)
        )),
        None => none(format!(
            "No significant difference from {} yet (smallest adjusted p={}). Keep the control or collect more data.",
            e.control,
            headline.map_or(String::from("n/a"), |i| p_text(&e.comparisons[i]))
        )),
    }
}
