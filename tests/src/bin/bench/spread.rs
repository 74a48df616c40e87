//! A figure measured over several runs of a row: its median, with the
//! least and the most, so a reader sees how much a figure moves between
//! runs on the same machine.

/// How many times a repeated row runs: `TANDEM_BENCH_RUNS`, five unless
/// told otherwise (1 for a quick look).
pub fn runs() -> usize {
    std::env::var("TANDEM_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(5)
}

/// One row's measurement, made `runs()` times, one after another.
pub async fn repeated<T>(measure: impl AsyncFn() -> anyhow::Result<T>) -> anyhow::Result<Vec<T>> {
    let mut measured = Vec::with_capacity(runs());
    for _ in 0..runs() {
        measured.push(measure().await?);
    }
    Ok(measured)
}

#[derive(Debug, Clone, Copy)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    runs: usize,
}

impl Spread {
    pub fn of(values: impl IntoIterator<Item = f64>) -> Spread {
        let mut values: Vec<f64> = values.into_iter().filter(|v| !v.is_nan()).collect();
        values.sort_by(f64::total_cmp);
        let Some((&min, &max)) = values.first().zip(values.last()) else {
            return Spread {
                median: f64::NAN,
                min: f64::NAN,
                max: f64::NAN,
                runs: 0,
            };
        };
        Spread {
            median: values[values.len() / 2],
            min,
            max,
            runs: values.len(),
        }
    }

    /// `1.50 (1.40–1.71)`: the median, then the range over the runs.
    pub fn show(&self, decimals: usize) -> String {
        if self.runs <= 1 {
            return format!("{:.*}", decimals, self.median);
        }
        format!(
            "{:.*} ({:.*}–{:.*})",
            decimals, self.median, decimals, self.min, decimals, self.max
        )
    }
}

/// The spread of one figure picked out of each run.
pub fn spread_of<R>(runs: &[R], figure: impl Fn(&R) -> f64) -> Spread {
    Spread::of(runs.iter().map(figure))
}

#[cfg(test)]
mod tests {
    use super::Spread;

    #[test]
    fn the_median_and_range_of_runs_ignoring_figures_not_measured() {
        let spread = Spread::of([3.0, 1.0, f64::NAN, 2.0, 10.0, 4.0]);
        assert_eq!((spread.median, spread.min, spread.max), (3.0, 1.0, 10.0));
        assert_eq!(spread.show(1), "3.0 (1.0–10.0)");
        assert_eq!(Spread::of([2.5]).show(2), "2.50");
        assert!(Spread::of([]).median.is_nan());
    }
}
