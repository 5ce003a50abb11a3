//! The generated Gauss–Legendre tables, checked on polynomials (so the generator need not
//! be trusted).

use super::gauss_legendre::{NODES, S, T, W};

/// `∫_{−1}^{x} t^p dt`.
fn integral_of_power(p: i32, x: f64) -> f64 {
    (x.powi(p + 1) - (-1.0_f64).powi(p + 1)) / f64::from(p + 1)
}

#[test]
fn gauss_legendre_table() {
    for p in 0..(2 * NODES as i32) {
        let rule: f64 = W.iter().zip(T).map(|(w, t)| w * t.powi(p)).sum();
        assert!(
            (rule - integral_of_power(p, 1.0)).abs() < 1e-14,
            "the rule integrates t^{p} to {rule}"
        );
    }
    for (j, row) in S.iter().enumerate() {
        for p in 0..(NODES as i32) {
            let cumulative: f64 = row.iter().zip(T).map(|(s, t)| s * t.powi(p)).sum();
            let exact = integral_of_power(p, T[j]);
            assert!(
                (cumulative - exact).abs() < 1e-14,
                "row {j} integrates t^{p} to {cumulative}, not {exact}"
            );
        }
    }
    assert!(
        T.windows(2).all(|w| w[0] < w[1]),
        "nodes in increasing order"
    );
}
