//! Sufficient statistics kept incrementally: what one unit's new event changes in its
//! arm's sums, so a store can keep `n`, `Σy`, `Σy²` per (arm, metric) on every write and a
//! result never scans units or events.

/// The change one event makes to its arm's statistics of a metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SumsDelta {
    /// Converters added: 1 when this is the unit's first event of the metric, else 0.
    pub converters: u64,
    /// Change of `Σy` (y: the unit's total of the metric).
    pub sum: f64,
    /// Change of `Σy²`.
    pub sum_sq: f64,
}

/// The delta when a unit's total of a metric goes from `previous` (`None`: no event yet)
/// to `previous + value`; also returns the new total.
///
/// `Σy²` changes by `new² − old²`, computed as `value · (old + new)` (one rounding fewer
/// than the difference of squares, exact for the integer totals of counted conversions).
pub fn add_event(previous: Option<f64>, value: f64) -> (f64, SumsDelta) {
    let old = previous.unwrap_or(0.0);
    let new = old + value;
    let delta = SumsDelta {
        converters: u64::from(previous.is_none()),
        sum: value,
        sum_sq: value * (old + new),
    };
    (new, delta)
}

/// The delta that removes a unit whose total of a metric is `total` from its arm (a
/// data-subject deletion).
pub fn remove_unit(total: f64) -> SumsDelta {
    SumsDelta {
        converters: 1,
        sum: -total,
        sum_sq: -(total * total),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_sums_equal_sums_over_totals() {
        // Three units: totals 3 (1 + 2), 0.5, and 4 (4); sums over the totals are
        // Σy = 7.5, Σy² = 9 + 0.25 + 16 = 25.25, three converters.
        let events: [(usize, f64); 4] = [(0, 1.0), (1, 0.5), (0, 2.0), (2, 4.0)];
        let mut totals: [Option<f64>; 3] = [None; 3];
        let (mut converters, mut sum, mut sum_sq) = (0, 0.0, 0.0);
        for (unit, value) in events {
            let (total, d) = add_event(totals[unit], value);
            totals[unit] = Some(total);
            converters += d.converters;
            sum += d.sum;
            sum_sq += d.sum_sq;
        }
        assert_eq!(converters, 3);
        assert_eq!(sum, 7.5);
        assert_eq!(sum_sq, 25.25);
        let d = remove_unit(3.0);
        assert_eq!(
            (converters - d.converters, sum + d.sum, sum_sq + d.sum_sq),
            (2, 4.5, 16.25)
        );
    }

    #[test]
    fn a_negative_value_lowers_the_sums() {
        let (total, d) = add_event(Some(5.0), -2.0);
        assert_eq!(total, 3.0);
        assert_eq!(
            d,
            SumsDelta {
                converters: 0,
                sum: -2.0,
                sum_sq: 9.0 - 25.0
            }
        );
    }
}
