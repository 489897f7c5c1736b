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
    TargetStatus, TargetSummary, Timeliness, scope_absence,
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

/// Why a target has its status, in words a person can act on: where the share stands against
/// the previous year, what is due by the next milestone, and what that needs a year.
///
/// The server's `explanation` (which `--output json` and `csv` keep) gives the pace as the
/// ratio of the progress observed to the progress needed; that ratio decides between on track,
/// acceleration needed and limited progress, but means nothing once the share fell (a fall of 40
/// points against 9 needed is "pace -444.44%") or nothing more is needed, and it is left out
/// then. The statuses without a trend (achieved, no data, no trend) print the server's words.
pub(super) fn status_in_words(summary: &TargetSummary) -> String {
    let status = summary.status();
    let trend_decided = matches!(
        status,
        TargetStatus::OnTrack
            | TargetStatus::AccelerationNeeded
            | TargetStatus::LimitedProgress
            | TargetStatus::Deterioration
    );
    let (Some(previous), Some(observed), Some(needed), Ok(year)) = (
        summary.previous_share,
        summary.observed_yearly_progress,
        summary.needed_yearly_progress,
        summary.period_code.parse::<i32>(),
    ) else {
        return summary.explanation.clone();
    };
    if !trend_decided {
        return summary.explanation.clone();
    }
    let share = percent(summary.share);
    let points = |share: f64| format!("{:.1} points", share * 100.0);
    let target = percent(summary.next_milestone_share);
    let milestone_year = summary.next_milestone_year;
    let due = if milestone_year > year {
        format!("{target} is due by {milestone_year}")
    } else {
        format!("{target} was due by {milestone_year}")
    };
    let since = year - 1;
    if status == TargetStatus::Deterioration || observed < 0.0 {
        return format!(
            "{share}, down from {} in {since}; {due}: {} a year needed",
            percent(previous),
            points(needed)
        );
    }
    let change = if observed > 0.0 {
        format!("up from {} in {since}", percent(previous))
    } else {
        format!("unchanged since {since}")
    };
    if needed <= 0.0 {
        return format!(
            "{share}, {change}; the next milestone, {target} by {milestone_year}, is reached \
             already"
        );
    }
    if observed == 0.0 {
        return format!("{share}, {change}; {due}: {} a year needed", points(needed));
    }
    format!(
        "{share}, {change}: {} a year, {:.0}% of the {} a year needed ({due})",
        points(observed),
        observed / needed * 100.0,
        points(needed)
    )
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
        writeln!(out, "{:<30} {unit}; {}", "", status_in_words(summary))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2026 summary whose status the trend decided: `share` this year, `previous` in 2025,
    /// 100% due by 2030.
    fn decided(status: TargetStatus, share: f64, previous: f64, needed: f64) -> TargetSummary {
        TargetSummary {
            period_code: "2026".into(),
            status: status.into(),
            share,
            previous_share: Some(previous),
            observed_yearly_progress: Some(share - previous),
            needed_yearly_progress: Some(needed),
            next_milestone_year: 2030,
            next_milestone_share: 1.0,
            explanation: "the server's words".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_fall_says_so_without_a_pace() {
        let fell = decided(TargetStatus::Deterioration, 0.4, 0.8, 0.15);
        assert_eq!(
            status_in_words(&fell),
            "40.0%, down from 80.0% in 2025; 100.0% is due by 2030: 15.0 points a year needed"
        );
    }

    #[test]
    fn progress_is_said_against_what_is_needed() {
        let slow = decided(TargetStatus::LimitedProgress, 0.7962, 0.6808, 0.2038);
        assert_eq!(
            status_in_words(&slow),
            "79.6%, up from 68.1% in 2025: 11.5 points a year, 57% of the 20.4 points a year \
             needed (100.0% is due by 2030)"
        );
        let mut past = slow.clone();
        past.next_milestone_year = 2025;
        assert!(status_in_words(&past).ends_with("(100.0% was due by 2025)"));
        let flat = decided(TargetStatus::LimitedProgress, 0.0, 0.0, 0.125);
        assert_eq!(
            status_in_words(&flat),
            "0.0%, unchanged since 2025; 100.0% is due by 2030: 12.5 points a year needed"
        );
        // This year's requirement is not met, but the next milestone's is.
        let mut ahead = decided(TargetStatus::OnTrack, 0.9, 0.85, -0.0125);
        ahead.next_milestone_share = 0.85;
        assert_eq!(
            status_in_words(&ahead),
            "90.0%, up from 85.0% in 2025; the next milestone, 85.0% by 2030, is reached already"
        );
    }

    #[test]
    fn statuses_without_a_trend_keep_the_servers_words() {
        let mut achieved = decided(TargetStatus::Achieved, 1.0, 0.5, 0.0);
        achieved.observed_yearly_progress = None;
        assert_eq!(status_in_words(&achieved), "the server's words");
        let no_trend = TargetSummary {
            status: TargetStatus::NoTrend.into(),
            explanation: "no share for 2025".into(),
            ..Default::default()
        };
        assert_eq!(status_in_words(&no_trend), "no share for 2025");
    }
}
