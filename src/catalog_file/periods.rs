//! `[[period]]`: the reporting periods, each with its window, deadline and closing time.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{check_codes, parse_date};
use crate::domain::period::Period;
use crate::domain::violation::Violations;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PeriodEntry {
    code: String,
    year: i32,
    window_start: String,
    window_end: String,
    deadline: String,
    #[serde(default)]
    closes_at: Option<String>,
}

pub(super) fn check_periods(entries: &[PeriodEntry], violations: &mut Violations) -> Vec<Period> {
    let located = |index: usize, entry: &PeriodEntry| format!("period[{index}] {:?}", entry.code);
    check_codes(
        entries
            .iter()
            .enumerate()
            .map(|(index, entry)| (located(index, entry), entry.code.as_str())),
        violations,
    );
    let mut periods = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = located(index, entry);
        let start = parse_date(
            &entry.window_start,
            &format!("{at}.window_start"),
            violations,
        );
        let end = parse_date(&entry.window_end, &format!("{at}.window_end"), violations);
        let deadline = match DateTime::parse_from_rfc3339(&entry.deadline) {
            Ok(instant) => Some(instant.with_timezone(&Utc)),
            Err(_) => {
                violations.add(
                    format!("{at}.deadline"),
                    format!(
                        "{:?} is not an instant with its offset, such as 2025-11-15T00:00:00+07:00",
                        entry.deadline
                    ),
                );
                None
            }
        };
        let closes_at = entry.closes_at.as_ref().and_then(|text| {
            let field = format!("{at}.closes_at");
            match DateTime::parse_from_rfc3339(text) {
                Ok(instant) => Some(instant.with_timezone(&Utc)),
                Err(_) => {
                    violations.add(
                        field,
                        format!(
                            "{text:?} is not an instant with its offset, such as 2025-12-15T00:00:00+07:00"
                        ),
                    );
                    None
                }
            }
        });
        if let (Some(deadline), Some(closes_at)) = (deadline, closes_at)
            && closes_at < deadline
        {
            violations.add(
                format!("{at}.closes_at"),
                format!(
                    "the period closes ({}) before its deadline ({}): late reports must have a chance",
                    entry.closes_at.as_deref().unwrap_or_default(),
                    entry.deadline
                ),
            );
        }
        if let (Some(start), Some(end)) = (start, end)
            && start > end
        {
            violations.add(
                format!("{at}.window_end"),
                format!("the window ends ({end}) before it starts ({start})"),
            );
        }
        if let (Some(window_start), Some(window_end), Some(deadline)) = (start, end, deadline) {
            periods.push(Period {
                code: entry.code.clone(),
                year: entry.year,
                window_start,
                window_end,
                deadline,
                closes_at,
            });
        }
    }
    periods.sort_by(|a, b| (a.window_start, &a.code).cmp(&(b.window_start, &b.code)));
    periods
}
