//! The one line of JSON each run prints.

use serde::Serialize;
use serde_json::Value;

/// A run's report: the scenario's name, its parameters and its figures side
/// by side in one object, so `jq .msgs_per_sec` finds a figure without a
/// path. Keys come out sorted, as serde_json's map keeps them.
#[derive(Debug, Serialize)]
pub(crate) struct Report<'a, P, F> {
    scenario: &'static str,
    #[serde(flatten)]
    params: &'a P,
    #[serde(flatten)]
    figures: F,
}

impl<'a, P: Serialize, F: Serialize> Report<'a, P, F> {
    pub(crate) fn new(scenario: &'static str, params: &'a P, figures: F) -> Self {
        Self {
            scenario,
            params,
            figures,
        }
    }

    /// The report as a JSON object, for `compare` to label and combine.
    pub(crate) fn into_value(self) -> Value {
        serde_json::to_value(self).expect("a report is plain numbers and strings")
    }
}

/// Prints `value` as one line on stdout.
pub(crate) fn print_line(value: &Value) {
    println!("{value}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Params {
        connections: usize,
    }

    #[derive(Serialize)]
    struct Figures {
        msgs_per_sec: f64,
    }

    #[test]
    fn one_flat_object() {
        let params = Params { connections: 2 };
        let value = Report::new("echo", &params, Figures { msgs_per_sec: 1.5 }).into_value();
        assert_eq!(
            value.to_string(),
            r#"{"connections":2,"msgs_per_sec":1.5,"scenario":"echo"}"#
        );
    }
}
