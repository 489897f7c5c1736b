//! `pressdx summary` and `pressdx status`: the figures a province or the Ministry reads, as tables
//! or, for programs, as JSON or CSV.

use std::io::{self, Write};
use std::process::ExitCode;

use super::client::connect;
use super::diagnosis::call_failed;
use super::{CliResult, output};
use crate::api::convert::instant;
use crate::config::{OutputFormat, StatusArgs, SummaryArgs};
use crate::domain::period::vietnam_time;
use crate::proto::summary_service_client::SummaryServiceClient;
use crate::proto::{
    Boundaries, GetReportingStatusRequest, ListTargetSummariesRequest, ListTargetSummariesResponse,
    MilestoneProjection, ProjectionOutcome, ReportingStatus, ScopeResolution, TargetMeasure,
    TargetStatus, Timeliness, scope_absence,
};

pub(super) fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

pub(super) fn status_word(status: TargetStatus) -> &'static str {
    match status {
        TargetStatus::Achieved => "achieved",
        TargetStatus::OnTrack => "on track",
        TargetStatus::AccelerationNeeded => "acceleration needed",
        TargetStatus::LimitedProgress => "limited progress",
        TargetStatus::Deterioration => "deterioration",
        TargetStatus::NoData => "no data",
        TargetStatus::NoTrend => "not achieved (no trend)",
        TargetStatus::Unspecified => "?",
    }
}

/// ", historical boundaries" or ", current boundaries as of 2026-11-27".
pub(super) fn boundaries_in_words(resolution: Option<&ScopeResolution>) -> String {
    match resolution {
        Some(resolution) if resolution.boundaries() == Boundaries::Current => {
            format!(", current boundaries as of {}", resolution.as_of)
        }
        _ => ", historical boundaries".to_string(),
    }
}

/// Says so when the scope's organisation did not exist, and whom to ask for instead.
pub(super) fn print_absence(
    out: &mut impl Write,
    resolution: Option<&ScopeResolution>,
) -> io::Result<()> {
    let Some(absence) = resolution.and_then(|resolution| resolution.absence.as_ref()) else {
        return Ok(());
    };
    let why = match absence.reason() {
        scope_absence::Reason::NotYetFormed => "was not formed yet",
        _ => "no longer existed",
    };
    let instead = if absence.instead_codes.is_empty() {
        String::new()
    } else {
        format!("; in its place: {}", absence.instead_codes.join(", "))
    };
    writeln!(
        out,
        "{} {why} on {}, so the scope covers no agency{instead}",
        absence.organization_code, absence.date
    )
}

pub async fn summary(args: SummaryArgs) -> CliResult {
    let mut client = SummaryServiceClient::new(connect(&args.server).await?);
    let mut request = ListTargetSummariesRequest {
        plan_code: args.plan.clone(),
        period_code: args.view.period.clone(),
        scope: args.view.scope.clone(),
        boundaries: args.view.boundaries().into(),
        as_of: args.view.as_of.clone().unwrap_or_default(),
        page_size: 1000,
        page_token: String::new(),
        accepted_only: args.accepted_only,
        min_data_as_of: 0,
    };
    // A plan has a handful of targets, so one page holds them all; a longer one is joined into
    // one answer, complete up to the oldest of its pages' positions.
    let mut response = ListTargetSummariesResponse::default();
    loop {
        let page = client
            .list_target_summaries(request.clone())
            .await
            .map_err(|status| call_failed(&status, &args.server))?
            .into_inner();
        response.data_as_of = if response.summaries.is_empty() {
            page.data_as_of
        } else {
            response.data_as_of.min(page.data_as_of)
        };
        response.summaries.extend(page.summaries);
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    let out = &mut io::stdout().lock();
    const TYPE: &str = "pressdx.v1.ListTargetSummariesResponse";
    match args.output {
        OutputFormat::Table => print_summary_table(out, &args, &response)?,
        OutputFormat::Json => output::write_json(out, &response, TYPE)?,
        OutputFormat::Csv => output::write_csv(out, &response, TYPE, "summaries")?,
    }
    Ok(ExitCode::SUCCESS)
}

/// "2030 100%: on pace (met in 2028)", "2025 70%: missed".
pub(super) fn milestone_in_words(milestone: &MilestoneProjection) -> String {
    let outcome = match milestone.outcome() {
        ProjectionOutcome::Met => "met".to_string(),
        ProjectionOutcome::Missed => "missed".to_string(),
        ProjectionOutcome::NoData => "no data".to_string(),
        ProjectionOutcome::TooFewYears => "too few years to project".to_string(),
        ProjectionOutcome::OnPace | ProjectionOutcome::OffPace => {
            let pace = if milestone.outcome() == ProjectionOutcome::OnPace {
                "on pace"
            } else {
                "off pace"
            };
            match milestone.projected_year {
                Some(year) => format!("{pace} (met in {year} at the trend)"),
                None => format!("{pace} (never met at the trend)"),
            }
        }
        ProjectionOutcome::Unspecified => "-".to_string(),
    };
    format!(
        "{} {}: {outcome}",
        milestone.year,
        percent(milestone.required_share)
    )
}

fn print_summary_table(
    out: &mut impl Write,
    args: &SummaryArgs,
    response: &ListTargetSummariesResponse,
) -> io::Result<()> {
    let resolution = response
        .summaries
        .first()
        .and_then(|summary| summary.scope_resolution.as_ref());
    // The scope the server read: an empty one is the token's own organisation.
    let scope = response
        .summaries
        .first()
        .map_or(args.view.scope.as_str(), |summary| summary.scope.as_str());
    writeln!(
        out,
        "{} {} {}{} (data as of change {})",
        args.plan,
        args.view.period,
        scope,
        boundaries_in_words(resolution),
        response.data_as_of
    )?;
    print_absence(out, resolution)?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<30} {:>13} {:>7} {:>9}  {:<24} reported",
        "target", "count", "share", "required", "status"
    )?;
    for summary in &response.summaries {
        let required = if summary.requirement_applies {
            let mark = if summary.required_share_interpolated {
                "~"
            } else {
                ""
            };
            format!("{mark}{}", percent(summary.required_share))
        } else {
            "-".to_string()
        };
        let unit = match summary.measure() {
            TargetMeasure::PeopleShare => "people",
            _ => "agencies",
        };
        writeln!(
            out,
            "{:<30} {:>13} {:>7} {:>9}  {:<24} {}/{}",
            summary.target_code,
            format!("{}/{}", summary.numerator, summary.denominator),
            percent(summary.share),
            required,
            status_word(summary.status()),
            summary.reporting_agencies,
            summary.expected_agencies,
        )?;
        writeln!(out, "{:<30} {unit}; {}", "", summary.explanation)?;
        let milestones: Vec<String> = summary
            .milestone_projections
            .iter()
            .map(milestone_in_words)
            .collect();
        if !milestones.is_empty() {
            writeln!(out, "{:<30} milestones: {}", "", milestones.join("; "))?;
        }
        if !summary.not_evaluable.is_empty() {
            let codes: Vec<_> = summary
                .not_evaluable
                .iter()
                .map(|n| n.agency_code.as_str())
                .collect();
            writeln!(out, "{:<30} not evaluable: {}", "", codes.join(", "))?;
        }
    }
    writeln!(out, "\n~ interpolated between milestones")
}

pub async fn status(args: StatusArgs) -> CliResult {
    let mut client = SummaryServiceClient::new(connect(&args.server).await?);
    let status = client
        .get_reporting_status(GetReportingStatusRequest {
            period_code: args.view.period.clone(),
            scope: args.view.scope.clone(),
            boundaries: args.view.boundaries().into(),
            as_of: args.view.as_of.clone().unwrap_or_default(),
            min_data_as_of: 0,
        })
        .await
        .map_err(|status| call_failed(&status, &args.server))?
        .into_inner();
    let out = &mut io::stdout().lock();
    const TYPE: &str = "pressdx.v1.ReportingStatus";
    match args.output {
        OutputFormat::Table => print_status_table(out, &status)?,
        OutputFormat::Json => output::write_json(out, &status, TYPE)?,
        OutputFormat::Csv => output::write_csv(out, &status, TYPE, "agencies")?,
    }
    Ok(ExitCode::SUCCESS)
}

fn print_status_table(out: &mut impl Write, status: &ReportingStatus) -> io::Result<()> {
    let resolution = status.scope_resolution.as_ref();
    writeln!(
        out,
        "{} {}{} (data as of change {})",
        status.period_code,
        status.scope,
        boundaries_in_words(resolution),
        status.data_as_of
    )?;
    print_absence(out, resolution)?;
    writeln!(
        out,
        "expected {}, received on time {}, late {}, missing {}",
        status.expected, status.received_on_time, status.received_late, status.missing
    )?;
    writeln!(
        out,
        "reporting rate {}, on time {}",
        percent(status.reporting_rate),
        percent(status.reporting_rate_on_time)
    )?;
    writeln!(
        out,
        "reviewed: accepted {}, returned {}, awaiting review {}\n",
        status.accepted, status.returned, status.awaiting_review
    )?;
    let local = |at: Option<&prost_types::Timestamp>| {
        at.and_then(instant).map(|at| {
            at.with_timezone(&vietnam_time())
                .format("%Y-%m-%d %H:%M %:z")
                .to_string()
        })
    };
    if let Some(closes_at) = local(status.closes_at.as_ref()) {
        writeln!(out, "the period closes {closes_at}\n")?;
    }
    for agency in &status.agencies {
        let state = match (agency.received, agency.timeliness()) {
            (false, _) => "MISSING".to_string(),
            (true, Timeliness::Late) => format!("late, revision {}", agency.latest_revision),
            (true, _) => format!("on time, revision {}", agency.latest_revision),
        };
        writeln!(
            out,
            "  {:<28} {:<22} {}",
            agency.agency_code, state, agency.agency_name
        )?;
        if let Some(reopening) = &agency.reopening {
            writeln!(
                out,
                "  {:<28} reopened until {} by {}: {}",
                "",
                local(reopening.until.as_ref()).unwrap_or_default(),
                reopening.reopened_by,
                reopening.reason
            )?;
        }
    }
    Ok(())
}
