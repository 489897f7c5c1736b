//! `[[indicator]]`: what each field of the report is, described for the people who fill it in.

use serde::Deserialize;

use super::{check_codes, parse_word};
use crate::domain::indicator::{Indicator, IndicatorType, REPORT_FIELDS, report_field_type};
use crate::domain::violation::Violations;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IndicatorEntry {
    code: String,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(rename = "type")]
    indicator_type: String,
    #[serde(default)]
    unit: String,
    min: Option<i64>,
    max: Option<i64>,
    #[serde(default)]
    required: bool,
}

pub(super) fn check_indicators(
    entries: &[IndicatorEntry],
    violations: &mut Violations,
) -> Vec<Indicator> {
    let located =
        |index: usize, entry: &IndicatorEntry| format!("indicator[{index}] {:?}", entry.code);
    let codes = check_codes(
        entries
            .iter()
            .enumerate()
            .map(|(index, entry)| (located(index, entry), entry.code.as_str())),
        violations,
    );
    for (field, _) in REPORT_FIELDS {
        if !codes.contains(field) {
            violations.add(
                "indicator",
                format!("the report field {field:?} has no indicator: describe it"),
            );
        }
    }

    let mut indicators = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = located(index, entry);
        let declared = parse_word(
            &entry.indicator_type,
            IndicatorType::parse,
            IndicatorType::ALL,
            IndicatorType::as_str,
            &format!("{at}.type"),
            violations,
        );
        let Some(wire_type) = report_field_type(&entry.code) else {
            violations.add(
                format!("{at}.code"),
                format!("the report has no field {:?}", entry.code),
            );
            continue;
        };
        let Some(declared) = declared else { continue };
        if declared != wire_type {
            violations.add(
                format!("{at}.type"),
                format!("the report field {:?} is of type {wire_type}", entry.code),
            );
        }
        if !declared.is_numeric() && (entry.min.is_some() || entry.max.is_some()) {
            violations.add(
                format!("{at}.min"),
                format!("a {declared} indicator has no limits"),
            );
        }
        if let (Some(min), Some(max)) = (entry.min, entry.max)
            && min > max
        {
            violations.add(format!("{at}.max"), format!("max {max} is below min {min}"));
        }
        if entry.name.trim().is_empty() {
            violations.add(format!("{at}.name"), "required");
        }
        indicators.push(Indicator {
            code: entry.code.clone(),
            name: entry.name.clone(),
            description: entry.description.clone(),
            indicator_type: declared,
            unit: entry.unit.clone(),
            min: entry.min,
            max: entry.max,
            required: entry.required,
        });
    }
    indicators
}
