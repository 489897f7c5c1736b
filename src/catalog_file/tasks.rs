//! `[[plan.task]]`: a plan's tasks, with their lead and cooperating parties and dates.

use std::collections::HashSet;

use serde::Deserialize;

use super::check_codes;
use crate::domain::formats::parse_date;
use crate::domain::organization::Organization;
use crate::domain::task::{Party, Task, next_start_of};
use crate::domain::violation::Violations;

/// A `[[plan.task]]` row of the catalogue file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TaskEntry {
    code: String,
    name: String,
    #[serde(default)]
    group: String,
    lead: String,
    #[serde(default)]
    cooperating: Vec<String>,
    starts_on: String,
    due_on: String,
    #[serde(default)]
    expected_output: String,
    #[serde(default)]
    recurs_yearly: bool,
    #[serde(default)]
    illustrative: bool,
    #[serde(default)]
    note: String,
}

/// Checks a plan's tasks, every problem at once, each located under `at` ("plan[1] \"x\"").
pub(super) fn check_tasks(
    entries: &[TaskEntry],
    at: &str,
    organizations: &[Organization],
    violations: &mut Violations,
) -> Vec<Task> {
    check_codes(
        entries
            .iter()
            .enumerate()
            .map(|(index, entry)| (format!("{at}.task[{index}]"), entry.code.as_str())),
        violations,
    );
    let mut tasks = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let task_at = format!("{at}.task[{index}] {:?}", entry.code);
        let before = violations.len();
        for (field, text) in [("name", &entry.name), ("group", &entry.group)] {
            if text.trim().is_empty() {
                violations.add(format!("{task_at}.{field}"), "required");
            }
        }
        let check_party = |text: &str, field: String, violations: &mut Violations| {
            let party = Party::parse(text).map_err(|why| violations.add(field.clone(), why));
            let party = party.ok()?;
            if let Some((code, kind)) = party.organization() {
                match organizations.iter().find(|org| org.code == code) {
                    Some(org) if org.kind == kind => {}
                    Some(org) => {
                        violations.add(field, format!("{code:?} is a {}, not a {kind}", org.kind));
                        return None;
                    }
                    None => {
                        violations.add(field, format!("no {kind} {code:?}"));
                        return None;
                    }
                }
            }
            Some(party)
        };
        let lead = check_party(&entry.lead, format!("{task_at}.lead"), violations);
        let mut cooperating = Vec::new();
        let mut seen = HashSet::new();
        for (party_index, text) in entry.cooperating.iter().enumerate() {
            let field = format!("{task_at}.cooperating[{party_index}]");
            let Some(party) = check_party(text, field.clone(), violations) else {
                continue;
            };
            if lead.as_ref() == Some(&party) {
                violations.add(field, "the lead is not also a cooperating party");
            } else if !seen.insert(party.clone()) {
                violations.add(field, format!("{text:?} is listed twice"));
            } else {
                cooperating.push(party);
            }
        }
        let date = |text: &str, field: &str, violations: &mut Violations| {
            parse_date(text)
                .map_err(|why| violations.add(format!("{task_at}.{field}"), why))
                .ok()
        };
        let starts_on = date(&entry.starts_on, "starts_on", violations);
        let due_on = date(&entry.due_on, "due_on", violations);
        if let (Some(starts_on), Some(due_on)) = (starts_on, due_on) {
            if due_on < starts_on {
                violations.add(
                    format!("{task_at}.due_on"),
                    format!("{due_on} is before starts_on {starts_on}"),
                );
            } else if entry.recurs_yearly && due_on >= next_start_of(starts_on) {
                violations.add(
                    format!("{task_at}.due_on"),
                    "a yearly task is due within a year of its start, so that one occurrence \
                     ends before the next begins",
                );
            }
        }
        let (Some(lead), Some(starts_on), Some(due_on)) = (lead, starts_on, due_on) else {
            continue;
        };
        if violations.len() > before {
            continue;
        }
        tasks.push(Task {
            code: entry.code.clone(),
            name: entry.name.trim().to_string(),
            group: entry.group.trim().to_string(),
            lead,
            cooperating,
            starts_on,
            due_on,
            expected_output: entry.expected_output.trim().to_string(),
            recurs_yearly: entry.recurs_yearly,
            illustrative: entry.illustrative,
            note: entry.note.clone(),
        });
    }
    tasks
}

#[cfg(test)]
mod tests {
    use crate::catalog_file::{CatalogError, DEFAULT_CATALOG, parse};

    #[test]
    fn the_shipped_plans_have_tasks_and_every_bad_row_is_named() {
        let catalog = parse(DEFAULT_CATALOG).unwrap();
        assert!(catalog.plans.iter().all(|plan| !plan.tasks.is_empty()));

        let broken = r#"
[[organization]]
code = "p"
kind = "province"
name = "P"

[[plan]]
code = "x"
name = "X"

[[plan.task]]
code = "A"
name = ""
group = "III.1"
lead = "agency:p"
cooperating = ["department", "department", "nobody"]
starts_on = "2024-01-01"
due_on = "2023-12-31"

[[plan.task]]
code = "B"
name = "yearly"
group = "V.4"
lead = "every_agency"
starts_on = "2024-01-01"
due_on = "2025-01-01"
recurs_yearly = true

# Started on 29 February: the next occurrence begins on 1 March 2025, so 28 February 2025 is
# within the year and 1 March is not.
[[plan.task]]
code = "C"
name = "leap"
group = "V.4"
lead = "every_agency"
starts_on = "2024-02-29"
due_on = "2025-02-28"
recurs_yearly = true

[[plan.task]]
code = "D"
name = "leap, too long"
group = "V.4"
lead = "every_agency"
starts_on = "2024-02-29"
due_on = "2025-03-01"
recurs_yearly = true
"#;
        let Err(CatalogError::Invalid(violations)) = parse(broken) else {
            panic!("the broken catalogue was accepted");
        };
        // The file lacks the indicators too, which is not what this test is about.
        let fields: Vec<&str> = violations
            .iter()
            .map(|v| v.field.as_str())
            .filter(|field| field.starts_with("plan"))
            .collect();
        assert_eq!(
            fields,
            [
                "plan[0] \"x\".task[0] \"A\".name",
                "plan[0] \"x\".task[0] \"A\".lead",
                "plan[0] \"x\".task[0] \"A\".cooperating[1]",
                "plan[0] \"x\".task[0] \"A\".cooperating[2]",
                "plan[0] \"x\".task[0] \"A\".due_on",
                "plan[0] \"x\".task[1] \"B\".due_on",
                "plan[0] \"x\".task[3] \"D\".due_on",
            ]
        );
    }
}
