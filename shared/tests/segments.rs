//! Results by segment: the correction runs over every segment's comparisons together.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_core::analysis::{AnalysisSettings, VariantData, analyze, correct_across};
use cleave_core::stats::{Correction, holm};

fn report(control: (u64, u64), treatment: (u64, u64)) -> cleave_core::analysis::Report {
    let data = [
        VariantData::binary("control", control.0, control.1),
        VariantData::binary("treatment", treatment.0, treatment.1),
    ];
    analyze(&data, &AnalysisSettings::default()).unwrap()
}

#[test]
fn segments_are_one_family_of_tests() {
    // Alone, each segment looks significant at 0.05; together (Holm over 3), only the
    // strongest stays so.
    let mut reports = vec![
        report((1000, 100), (1000, 160)),
        report((1000, 100), (1000, 128)),
        report((1000, 100), (1000, 129)),
    ];
    let raw: Vec<f64> = reports
        .iter()
        .map(|r| r.comparisons[0].p_value.unwrap())
        .collect();
    assert!(raw.iter().all(|p| *p < 0.05), "{raw:?}");
    assert!(reports.iter().all(|r| r.statistical_significance));
    correct_across(&mut reports, Correction::Holm, 0.05).unwrap();
    let want = holm(&raw).unwrap();
    for (r, w) in reports.iter().zip(&want) {
        assert!((r.comparisons[0].adjusted_p_value.unwrap() - w).abs() < 1e-15);
        assert_eq!(r.comparisons[0].significant, *w < 0.05);
        assert_eq!(r.statistical_significance, *w < 0.05);
        assert_eq!(
            r.winner.is_some(),
            *w < 0.05,
            "the verdict follows the family: {}",
            r.recommendation
        );
    }
    assert!(reports[0].statistical_significance);
    assert!(!reports[2].statistical_significance, "{want:?}");
}
