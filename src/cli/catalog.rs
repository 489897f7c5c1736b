//! `pressdx catalog import` and `pressdx catalog show`: the catalogue tools, working on the
//! database directly.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use super::{CliResult, EXIT_REFUSED};
use crate::app::admin::{CatalogSource, ImportCounts};
use crate::catalog_file::{self, CatalogError};
use crate::domain::period::vietnam_time;
use crate::domain::plan::percent;

/// How `pressdx catalog import` applies a file.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    pub dry_run: bool,
    pub accept_unrecorded_changes: bool,
}

pub async fn import(file: &Path, how: ImportOptions, database_url: &str) -> CliResult {
    let ImportOptions {
        dry_run,
        accept_unrecorded_changes,
    } = how;
    let text = std::fs::read_to_string(file)
        .map_err(|error| format!("cannot read {}: {error}", file.display()))?;
    let catalog = match catalog_file::parse(&text) {
        Ok(catalog) => catalog,
        Err(CatalogError::Syntax(message)) => {
            eprintln!("{}: {message}", file.display());
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
        Err(CatalogError::Invalid(violations)) => {
            eprintln!(
                "{}: {} problem(s), nothing was imported:",
                file.display(),
                violations.len()
            );
            for violation in violations {
                eprintln!("  {violation}");
            }
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
    };
    let store = super::open_database(database_url).await?;
    let operator = super::operator();
    let source = CatalogSource {
        text: &text,
        applied_by: &operator,
        accept_unrecorded_changes,
    };
    let import = store.import_catalog(&catalog, &source, dry_run).await?;
    store.close().await?;
    let mut out = io::stdout().lock();
    let verb = if dry_run { "would change" } else { "changed" };
    writeln!(out, "{}: {verb}", file.display(),)?;
    for (kind, counts) in import.kinds() {
        writeln!(out, "  {kind:<14} {}", describe_counts(counts))?;
        // Which entries, not only how many: what an operator checks before applying.
        for (verb, codes) in [("added", &counts.added), ("changed", &counts.changed)] {
            if !codes.is_empty() {
                writeln!(out, "    {verb}: {}", codes.join(", "))?;
            }
        }
    }
    if !import.withdrawn.is_empty() {
        writeln!(out, "  withdrawn      {}", import.withdrawn.join(", "))?;
    }
    if !import.changed_anything() {
        writeln!(
            out,
            "  (nothing: the database already holds this catalogue)"
        )?;
    }
    if !import.unrecorded_changes.is_empty() {
        writeln!(
            out,
            "changed outside an import since the last one (pressdx audit verify):"
        )?;
        for change in &import.unrecorded_changes {
            writeln!(out, "  {change}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn describe_counts(counts: &ImportCounts) -> String {
    let mut text = format!(
        "{} added, {} changed, {} unchanged",
        counts.added.len(),
        counts.changed.len(),
        counts.unchanged
    );
    if counts.kept > 0 {
        text.push_str(&format!(
            ", {} kept that the file does not mention",
            counts.kept
        ));
    }
    text
}

pub async fn show(database_url: &str) -> CliResult {
    let store = super::open_database(database_url).await?;
    let catalog = store.load_catalog().await?;
    store.close().await?;

    let mut out = io::stdout().lock();
    writeln!(out, "Periods")?;
    for period in &catalog.periods {
        writeln!(
            out,
            "  {:<6} data {} .. {}, due {}",
            period.code,
            period.window_start,
            period.window_end,
            period
                .deadline
                .with_timezone(&vietnam_time())
                .format("%Y-%m-%d %H:%M %:z")
        )?;
    }

    writeln!(out, "\nIndicators")?;
    for indicator in &catalog.indicators {
        let limits = match (indicator.min, indicator.max) {
            (Some(min), Some(max)) => format!(" {min}..{max}"),
            (Some(min), None) => format!(" >= {min}"),
            (None, Some(max)) => format!(" <= {max}"),
            (None, None) => String::new(),
        };
        let required = if indicator.required { ", required" } else { "" };
        writeln!(
            out,
            "  {:<30} {}{}{}{required}  {}",
            indicator.code,
            indicator.indicator_type,
            if indicator.unit.is_empty() {
                String::new()
            } else {
                format!(" ({})", indicator.unit)
            },
            limits,
            indicator.name
        )?;
    }

    writeln!(out, "\nOrganisations")?;
    for organization in &catalog.organizations {
        let lifetime = format!(
            "{} .. {}",
            organization
                .valid_from
                .map_or("…".to_string(), |date| date.to_string()),
            organization
                .valid_until
                .map_or("…".to_string(), |date| date.to_string()),
        );
        let illustrative = if organization.illustrative {
            "  [illustrative]"
        } else {
            ""
        };
        writeln!(
            out,
            "  {:<28} {:<15} {lifetime:<24}{illustrative}",
            organization.code, organization.kind
        )?;
        for version in &organization.versions {
            let mut attributes = Vec::new();
            if let Some(province) = &version.province_code {
                attributes.push(format!("province {province}"));
            }
            if let Some(body) = &version.governing_body_code {
                attributes.push(format!("governed by {body}"));
            }
            if let Some(agency_type) = version.agency_type {
                attributes.push(agency_type.to_string());
            }
            if version.publishes_electronic_press {
                attributes.push("electronic press".into());
            }
            writeln!(
                out,
                "      from {:<10} {}{}",
                version
                    .valid_from
                    .map_or("…".to_string(), |date| date.to_string()),
                version.name,
                if attributes.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", attributes.join(", "))
                }
            )?;
        }
        for link in catalog
            .links
            .iter()
            .filter(|link| link.successor_code == organization.code)
        {
            writeln!(
                out,
                "      continues {} ({} on {})",
                link.predecessor_code, link.kind, link.effective_on
            )?;
        }
    }

    writeln!(out, "\nPlans")?;
    for plan in &catalog.plans {
        let scope = plan.province_code.as_deref().unwrap_or("national");
        writeln!(
            out,
            "  {} ({}, {scope}): {}",
            plan.code, plan.decision, plan.name
        )?;
        for target in &plan.targets {
            let milestones: Vec<String> = target
                .milestones
                .iter()
                .map(|milestone| match milestone.parameter_bp {
                    Some(parameter) => format!(
                        "{} {} (parameter {})",
                        milestone.year,
                        percent(milestone.required_share_bp),
                        percent(parameter)
                    ),
                    None => format!(
                        "{} {}",
                        milestone.year,
                        percent(milestone.required_share_bp)
                    ),
                })
                .collect();
            writeln!(out, "    {:<30} {}", target.code, target.rule.describe())?;
            writeln!(out, "    {:<30} {}", "", milestones.join(", "))?;
        }
        for task in &plan.tasks {
            let lead = String::from(task.lead.clone());
            let recurs = if task.recurs_yearly { ", yearly" } else { "" };
            writeln!(
                out,
                "    task {:<25} {lead}, {} to {}{recurs}: {}",
                task.code, task.starts_on, task.due_on, task.name
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
