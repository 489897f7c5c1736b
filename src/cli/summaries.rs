//! `pressdx summary` and `pressdx status`: the figures a province or the Ministry reads, as tables.

use std::process::ExitCode;

use super::CliResult;
use super::client::connect;
use crate::config::{StatusArgs, SummaryArgs};
use crate::proto::summary_service_client::SummaryServiceClient;
use crate::proto::{
    GetReportingStatusRequest, ListTargetSummariesRequest, TargetMeasure, TargetStatus, Timeliness,
};

fn answered(status: tonic::Status) -> String {
    format!(
        "the server answered {:?}: {}",
        status.code(),
        status.message()
    )
}

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

fn status_word(status: TargetStatus) -> &'static str {
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

pub async fn summary(args: SummaryArgs) -> CliResult {
    let mut client = SummaryServiceClient::new(connect(&args.server).await?);
    let response = client
        .list_target_summaries(ListTargetSummariesRequest {
            plan_code: args.plan.clone(),
            period_code: args.view.period.clone(),
            scope: args.view.scope.clone(),
        })
        .await
        .map_err(answered)?
        .into_inner();
    println!(
        "{} {} {} (data as of change {})\n",
        args.plan, args.view.period, args.view.scope, response.data_as_of
    );
    println!(
        "{:<30} {:>13} {:>7} {:>9}  {:<24} reported",
        "target", "count", "share", "required", "status"
    );
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
        println!(
            "{:<30} {:>13} {:>7} {:>9}  {:<24} {}/{}",
            summary.target_code,
            format!("{}/{}", summary.numerator, summary.denominator),
            percent(summary.share),
            required,
            status_word(summary.status()),
            summary.reporting_agencies,
            summary.expected_agencies,
        );
        println!("{:<30} {unit}; {}", "", summary.explanation);
        if !summary.not_evaluable.is_empty() {
            let codes: Vec<_> = summary
                .not_evaluable
                .iter()
                .map(|n| n.agency_code.as_str())
                .collect();
            println!("{:<30} not evaluable: {}", "", codes.join(", "));
        }
    }
    println!("\n~ interpolated between milestones");
    Ok(ExitCode::SUCCESS)
}

pub async fn status(args: StatusArgs) -> CliResult {
    let mut client = SummaryServiceClient::new(connect(&args.server).await?);
    let status = client
        .get_reporting_status(GetReportingStatusRequest {
            period_code: args.view.period.clone(),
            scope: args.view.scope.clone(),
        })
        .await
        .map_err(answered)?
        .into_inner();
    println!(
        "{} {} (data as of change {})",
        status.period_code, status.scope, status.data_as_of
    );
    println!(
        "expected {}, received on time {}, late {}, missing {}",
        status.expected, status.received_on_time, status.received_late, status.missing
    );
    println!(
        "reporting rate {}, on time {}\n",
        percent(status.reporting_rate),
        percent(status.reporting_rate_on_time)
    );
    for agency in &status.agencies {
        let state = match (agency.received, agency.timeliness()) {
            (false, _) => "MISSING".to_string(),
            (true, Timeliness::Late) => format!("late, revision {}", agency.latest_revision),
            (true, _) => format!("on time, revision {}", agency.latest_revision),
        };
        println!(
            "  {:<28} {:<22} {}",
            agency.agency_code, state, agency.agency_name
        );
    }
    Ok(ExitCode::SUCCESS)
}
