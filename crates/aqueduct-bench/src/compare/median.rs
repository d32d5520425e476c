//! The median of repeated runs, to damp a noisy machine.

use serde_json::{Map, Value};

/// One report whose every number is the median of that number over
/// `runs`; other fields come from the first run. Adds `runs`, the count.
///
/// Each figure is taken on its own, so the median throughput and the median
/// p99 may come from different runs.
pub(super) fn median_report(runs: &[Value]) -> Option<Value> {
    let Value::Object(first) = runs.first()? else {
        return None;
    };
    let mut merged = Map::new();
    for (key, value) in first {
        let numbers: Option<Vec<&Value>> = value
            .is_number()
            .then(|| runs.iter().map(|run| run.get(key)).collect())
            .flatten();
        let value = match numbers {
            Some(numbers) => median(&numbers).unwrap_or_else(|| value.clone()),
            None => value.clone(),
        };
        merged.insert(key.clone(), value);
    }
    merged.insert("runs".into(), runs.len().into());
    Some(Value::Object(merged))
}

/// The median of JSON numbers: the middle one of an odd count, kept exactly
/// as it was; the mean of the middle two of an even count.
fn median(numbers: &[&Value]) -> Option<Value> {
    let mut sorted: Vec<&Value> = numbers.to_vec();
    if sorted.iter().any(|number| number.as_f64().is_none()) {
        return None;
    }
    sorted.sort_by(|a, b| a.as_f64().partial_cmp(&b.as_f64()).expect("numbers only"));
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        return Some(sorted[middle].clone());
    }
    let mean = (sorted[middle - 1].as_f64()? + sorted[middle].as_f64()?) / 2.0;
    Some(mean.into())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_number_is_its_own_median() {
        let runs = [
            json!({"server": "a", "msgs_per_sec": 10.0, "p99_us": 300}),
            json!({"server": "a", "msgs_per_sec": 30.0, "p99_us": 100}),
            json!({"server": "a", "msgs_per_sec": 20.0, "p99_us": 200}),
        ];
        let expected = json!({"server": "a", "msgs_per_sec": 20.0, "p99_us": 200, "runs": 3});
        assert_eq!(median_report(&runs), Some(expected));
    }

    #[test]
    fn an_even_count_takes_the_mean_of_the_middle_two() {
        let runs = [
            json!({"x": 1}),
            json!({"x": 4}),
            json!({"x": 2}),
            json!({"x": 3}),
        ];
        assert_eq!(median_report(&runs), Some(json!({"x": 2.5, "runs": 4})));
    }

    #[test]
    fn a_single_run_is_its_own_median() {
        let runs = [json!({"keeps_up": true, "x": 7})];
        assert_eq!(
            median_report(&runs),
            Some(json!({"keeps_up": true, "x": 7, "runs": 1}))
        );
        assert_eq!(median_report(&[]), None);
    }
}
