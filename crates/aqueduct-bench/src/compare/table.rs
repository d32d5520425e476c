//! The figures of a `compare` run side by side, with aqueduct's ratio to
//! its baseline.

use serde::Serialize;
use serde_json::Value;

use super::deployment::Server;

/// The reports of one target and setting, by server.
#[derive(Debug, Default)]
pub(super) struct Trio {
    pub(super) baseline: Option<Value>,
    pub(super) aqueduct: Option<Value>,
    pub(super) django: Option<Value>,
}

impl Trio {
    /// The report of `server` as [`Harness::repeated`] files it: the
    /// baseline's for any server but aqueduct's and Django's.
    ///
    /// [`Harness::repeated`]: super::harness::Harness::repeated
    pub(super) fn of(&self, server: Server) -> Option<&Value> {
        match server {
            Server::Aqueduct => self.aqueduct.as_ref(),
            Server::Django => self.django.as_ref(),
            _ => self.baseline.as_ref(),
        }
    }
}

/// One figure of one target.
#[derive(Debug, Serialize)]
pub(super) struct Row {
    target: String,
    figure: String,
    baseline_server: &'static str,
    baseline: Option<Value>,
    aqueduct: Option<Value>,
    django: Option<Value>,
    /// aqueduct ÷ baseline.
    ratio: Option<f64>,
}

/// Every row of a `compare` run.
#[derive(Debug, Default, Serialize)]
#[serde(transparent)]
pub(super) struct Table {
    rows: Vec<Row>,
}

impl Table {
    /// Adds a row for each of `figures` of `trio`.
    pub(super) fn add(
        &mut self,
        target: &str,
        baseline: &'static str,
        trio: &Trio,
        figures: &[&str],
    ) {
        for figure in figures {
            let pick = |report: &Option<Value>| report.as_ref()?.get(*figure).cloned();
            let (base, aqueduct) = (pick(&trio.baseline), pick(&trio.aqueduct));
            let ratio = match (
                base.as_ref().and_then(Value::as_f64),
                aqueduct.as_ref().and_then(Value::as_f64),
            ) {
                (Some(base), Some(aqueduct)) if base != 0.0 => {
                    Some((aqueduct / base * 100.0).round() / 100.0)
                }
                _ => None,
            };
            self.rows.push(Row {
                target: target.to_owned(),
                figure: (*figure).to_owned(),
                baseline_server: baseline,
                baseline: base,
                aqueduct,
                django: pick(&trio.django),
                ratio,
            });
        }
    }

    /// The table for people, as lines of text.
    pub(super) fn render(&self) -> String {
        let mut out = format!(
            "{:<24} {:<22} {:>10} {:>14} {:>14} {:>14} {:>9}\n",
            "target", "figure", "baseline", "value", "aqueduct", "django", "aq/base"
        );
        for row in &self.rows {
            out += &format!(
                "{:<24} {:<22} {:>10} {:>14} {:>14} {:>14} {:>9}\n",
                row.target,
                row.figure,
                row.baseline_server,
                cell(row.baseline.as_ref()),
                cell(row.aqueduct.as_ref()),
                cell(row.django.as_ref()),
                row.ratio.map_or("-".into(), |ratio| format!("{ratio:.2}")),
            );
        }
        out
    }
}

/// A figure as it reads best: whole numbers without decimals, others with one.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "-".into(),
        Some(Value::Bool(true)) => "yes".into(),
        Some(Value::Bool(false)) => "no".into(),
        Some(Value::Number(number)) => match (number.as_u64(), number.as_f64()) {
            (Some(whole), _) => whole.to_string(),
            (None, Some(float)) => format!("{float:.1}"),
            (None, None) => number.to_string(),
        },
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ratio_is_aqueduct_over_baseline() {
        let trio = Trio {
            baseline: Some(json!({"msgs_per_sec": 200.0, "keeps_up": true})),
            aqueduct: Some(json!({"msgs_per_sec": 150.0, "keeps_up": false})),
            django: None,
        };
        let mut table = Table::default();
        table.add(
            "a echo",
            "raw-echo",
            &trio,
            &["msgs_per_sec", "keeps_up", "missing"],
        );
        let ratios: Vec<_> = table.rows.iter().map(|row| row.ratio).collect();
        assert_eq!(ratios, [Some(0.75), None, None]);
        let text = table.render();
        assert!(text.contains("150.0"), "{text}");
        assert!(text.contains("no"), "{text}");
    }

    #[test]
    fn cells() {
        let cases = [
            (None, "-"),
            (Some(json!(12)), "12"),
            (Some(json!(1.26)), "1.3"),
            (Some(json!(-3.0)), "-3.0"),
            (Some(json!(true)), "yes"),
        ];
        for (value, expected) in cases {
            assert_eq!(cell(value.as_ref()), expected, "{value:?}");
        }
    }
}
