//! `pressdx maturity`: an agency's self-assessment under the maturity index from a TOML file, the
//! council's appraisal of a criterion, reading one back with its scores, and a period's results,
//! rankings and comparisons, over MaturityService.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use serde::Deserialize;
use tonic::Code;

use super::client::connect;
use super::diagnosis::call_failed;
use super::submissions::print_refusal;
use super::summaries::{boundaries_in_words, print_absence};
use super::{CliResult, EXIT_REFUSED, output};
use crate::config::{MaturityCommand, MaturityResultsArgs, OutputFormat, PeriodScope, ServerArgs};
use crate::domain::canonical::sha256_hex;
use crate::proto::maturity_service_client::MaturityServiceClient;
use crate::proto::{
    AgencyMaturityResult, AppraiseSelfAssessmentRequest, CompareMaturityResultsRequest,
    CriterionAnswer, EvidenceReference, GetMaturityResultsRequest, GetSelfAssessmentRequest,
    MaturityComparison, MaturityResults, MaturityScore, PartStatistics,
    SubmitSelfAssessmentRequest, criterion_answer,
};

/// A self-assessment file, as `pressdx maturity submit --file` reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssessmentFile {
    agency: String,
    period: String,
    framework: String,
    /// Optional: by default derived from the file's content, so that sending the same file again
    /// is a safe retry.
    request_id: Option<String>,
    #[serde(default)]
    answer: Vec<FileAnswer>,
    #[serde(default)]
    evidence: Vec<FileEvidence>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAnswer {
    criterion: String,
    yes: Option<bool>,
    choice: Option<String>,
    /// Decimal text ("72.5"), as the contract carries it.
    number: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEvidence {
    criterion: String,
    title: String,
    #[serde(default)]
    link: String,
    #[serde(default)]
    document_id: String,
    sha256: String,
}

pub async fn run(command: MaturityCommand) -> CliResult {
    match command {
        MaturityCommand::Submit {
            file,
            validate_only,
            server,
        } => submit(&file, validate_only, &server).await,
        MaturityCommand::Appraise {
            id,
            criterion,
            points,
            reason,
            server,
        } => {
            let request = AppraiseSelfAssessmentRequest {
                self_assessment_id: id,
                criterion_code: criterion,
                points,
                reason,
            };
            appraise(request, &server).await
        }
        MaturityCommand::Show {
            agency,
            period,
            revision,
            server,
        } => {
            let request = GetSelfAssessmentRequest {
                agency_code: agency,
                period_code: period,
                revision,
            };
            show(request, &server).await
        }
        MaturityCommand::Results(args) => results(&args, Layout::ByAgency).await,
        MaturityCommand::Rankings(args) => results(&args, Layout::ByRank).await,
        MaturityCommand::Compare {
            view,
            baseline,
            output,
            server,
        } => compare(&view, baseline, output, &server).await,
    }
}

/// How `results` lays its table out: by agency code, or block by block in rank order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    ByAgency,
    ByRank,
}

async fn results(args: &MaturityResultsArgs, layout: Layout) -> CliResult {
    let request = GetMaturityResultsRequest {
        period_code: args.view.period.clone(),
        scope: args.view.scope.clone(),
        boundaries: args.view.boundaries().into(),
        as_of: args.view.as_of.clone().unwrap_or_default(),
    };
    let mut client = MaturityServiceClient::new(connect(&args.server).await?);
    let results = match client.get_maturity_results(request).await {
        Ok(response) => response.into_inner(),
        Err(status) if refused(&status) => {
            print_refusal("no results", &status);
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
        Err(status) => return Err(call_failed(&status, &args.server).into()),
    };
    let out = &mut io::stdout().lock();
    const TYPE: &str = "pressdx.v1.MaturityResults";
    match (args.output, layout) {
        (OutputFormat::Table, Layout::ByAgency) => print_results(out, &results)?,
        (OutputFormat::Table, Layout::ByRank) => print_rankings(out, &results)?,
        (OutputFormat::Json, _) => output::write_json(out, &results, TYPE)?,
        (OutputFormat::Csv, _) => output::write_csv(out, &results, TYPE, "agencies")?,
    }
    Ok(ExitCode::SUCCESS)
}

/// "results of 2024 for country, historical boundaries, under V2024", and the absence of the
/// scope's organisation if it did not exist.
fn print_heading(out: &mut impl Write, what: &str, results: &MaturityResults) -> io::Result<()> {
    let resolution = results.scope_resolution.as_ref();
    writeln!(
        out,
        "{what} of {} for {}{}, under {}",
        results.period_code,
        results.scope,
        boundaries_in_words(resolution),
        results.framework_code
    )?;
    print_absence(out, resolution)
}

/// "3 of 5", or "-" for an agency not ranked.
fn rank(rank: i32, ranked: i32) -> String {
    if rank == 0 {
        "-".to_string()
    } else {
        format!("{rank} of {ranked}")
    }
}

/// "7 of 10" and "2 Fair" of an agency's final score.
fn total_and_level(agency: &AgencyMaturityResult) -> (String, String) {
    let score = agency.score.clone().unwrap_or_default();
    (
        format!(
            "{} of {}",
            points(score.total_hundredths),
            points(score.maximum_hundredths)
        ),
        format!("{} {}", score.level_rank, score.level_name),
    )
}

/// Basis points of a maximum as a percentage: 8807 is "88.07%".
fn share(basis_points: Option<i32>) -> String {
    basis_points.map_or("-".to_string(), |bp| format!("{}%", points(bp)))
}

fn print_results(out: &mut impl Write, results: &MaturityResults) -> io::Result<()> {
    print_heading(out, "maturity results", results)?;
    writeln!(
        out,
        "{:<28} {:<14} {:>12}  {:<14} {:<10} province",
        "agency", "block", "final total", "level", "national"
    )?;
    for agency in &results.agencies {
        let (total, level) = total_and_level(agency);
        let appraised = if agency.appraised { " (appraised)" } else { "" };
        writeln!(
            out,
            "{:<28} {:<14} {:>12}  {:<14} {:<10} {}{appraised}",
            agency.agency_code,
            agency.block_code,
            total,
            level,
            rank(agency.national_rank, agency.national_ranked),
            rank(agency.province_rank, agency.province_ranked),
        )?;
    }
    if !results.missing_agency_codes.is_empty() {
        writeln!(
            out,
            "without a self-assessment: {}",
            results.missing_agency_codes.join(", ")
        )?;
    }
    let aggregate = results.aggregate.clone().unwrap_or_default();
    writeln!(
        out,
        "agencies: {} covered, {} assessed, {} missing",
        aggregate.covered, aggregate.assessed, aggregate.missing
    )?;
    for level in &aggregate.levels {
        writeln!(
            out,
            "  level {} {:<14} {}",
            level.level_rank, level.level_name, level.agencies
        )?;
    }
    writeln!(
        out,
        "{:<10} {:>8} {:>8} {:>8} {:>10}",
        "part", "maximum", "mean", "median", "mean share"
    )?;
    let optional = |value: Option<i32>| value.map_or("-".to_string(), points);
    let parts: Vec<&PartStatistics> = aggregate
        .pillars
        .iter()
        .chain(aggregate.total.as_ref())
        .collect();
    for part in parts {
        writeln!(
            out,
            "{:<10} {:>8} {:>8} {:>8} {:>10}",
            part.code,
            points(part.maximum_hundredths),
            optional(part.mean_hundredths),
            optional(part.median_hundredths),
            share(part.mean_share_bp)
        )?;
    }
    Ok(())
}

fn print_rankings(out: &mut impl Write, results: &MaturityResults) -> io::Result<()> {
    print_heading(out, "maturity rankings", results)?;
    let mut ranked: Vec<&AgencyMaturityResult> = results
        .agencies
        .iter()
        .filter(|agency| agency.national_rank > 0)
        .collect();
    ranked.sort_by(|a, b| {
        (&a.block_code, a.national_rank, &a.agency_code).cmp(&(
            &b.block_code,
            b.national_rank,
            &b.agency_code,
        ))
    });
    let mut block = None;
    for agency in ranked {
        if block != Some(&agency.block_code) {
            block = Some(&agency.block_code);
            writeln!(out, "block {}", agency.block_code)?;
            writeln!(
                out,
                "  {:<10} {:<28} {:>12}  {:<14} {:<20} in province",
                "national", "agency", "final total", "level", "province"
            )?;
        }
        let (total, level) = total_and_level(agency);
        writeln!(
            out,
            "  {:<10} {:<28} {:>12}  {:<14} {:<20} {}",
            rank(agency.national_rank, agency.national_ranked),
            agency.agency_code,
            total,
            level,
            agency.province_code,
            rank(agency.province_rank, agency.province_ranked),
        )?;
    }
    let unranked: Vec<&str> = results
        .agencies
        .iter()
        .filter(|agency| agency.national_rank == 0)
        .map(|agency| agency.agency_code.as_str())
        .collect();
    if !unranked.is_empty() {
        writeln!(out, "not ranked (no block): {}", unranked.join(", "))?;
    }
    if !results.missing_agency_codes.is_empty() {
        writeln!(
            out,
            "without a self-assessment, not ranked: {}",
            results.missing_agency_codes.join(", ")
        )?;
    }
    Ok(())
}

async fn compare(
    view: &PeriodScope,
    baseline: String,
    format: OutputFormat,
    server: &ServerArgs,
) -> CliResult {
    let request = CompareMaturityResultsRequest {
        period_code: view.period.clone(),
        baseline_period_code: baseline,
        scope: view.scope.clone(),
        boundaries: view.boundaries().into(),
        as_of: view.as_of.clone().unwrap_or_default(),
    };
    let mut client = MaturityServiceClient::new(connect(server).await?);
    let comparison = match client.compare_maturity_results(request).await {
        Ok(response) => response.into_inner(),
        Err(status) if refused(&status) => {
            print_refusal("no comparison", &status);
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
        Err(status) => return Err(call_failed(&status, server).into()),
    };
    let out = &mut io::stdout().lock();
    const TYPE: &str = "pressdx.v1.MaturityComparison";
    match format {
        OutputFormat::Table => print_comparison(out, &comparison)?,
        OutputFormat::Json => output::write_json(out, &comparison, TYPE)?,
        OutputFormat::Csv => output::write_csv(out, &comparison, TYPE, "pillars")?,
    }
    Ok(ExitCode::SUCCESS)
}

fn print_comparison(out: &mut impl Write, comparison: &MaturityComparison) -> io::Result<()> {
    writeln!(
        out,
        "maturity results of {} against {} for {}{}",
        comparison.period_code,
        comparison.baseline_period_code,
        comparison.scope,
        boundaries_in_words(comparison.scope_resolution.as_ref())
    )?;
    print_absence(out, comparison.scope_resolution.as_ref())?;
    print_absence(out, comparison.baseline_scope_resolution.as_ref())?;
    if comparison.frameworks_differ {
        writeln!(
            out,
            "frameworks differ ({} against {}): only the pillars' shares of their maximum compare",
            comparison.framework_code, comparison.baseline_framework_code
        )?;
    } else {
        writeln!(out, "one framework: {}", comparison.framework_code)?;
    }
    writeln!(
        out,
        "assessed agencies: {} against {}",
        comparison.assessed, comparison.baseline_assessed
    )?;
    writeln!(
        out,
        "{:<10} {:>10} {:>10} {:>10}",
        "pillar", "share", "baseline", "change"
    )?;
    for pillar in &comparison.pillars {
        writeln!(
            out,
            "{:<10} {:>10} {:>10} {:>10}",
            pillar.code,
            share(pillar.share_bp),
            share(pillar.baseline_share_bp),
            signed(pillar.change_bp, " pp")
        )?;
    }
    if let (Some(now), Some(then)) = (
        comparison.mean_total_hundredths,
        comparison.baseline_mean_total_hundredths,
    ) {
        writeln!(
            out,
            "mean total {} against {}: {} points",
            points(now),
            points(then),
            signed(comparison.mean_total_change_hundredths, "")
        )?;
    }
    Ok(())
}

/// Hundredths with their sign, and a unit: "+16.67 pp", "-25 pp", "-" when unknown.
fn signed(hundredths: Option<i32>, unit: &str) -> String {
    match hundredths {
        None => "-".to_string(),
        Some(value) if value < 0 => format!("-{}{unit}", points(-value)),
        Some(value) => format!("+{}{unit}", points(value)),
    }
}

/// Reads a self-assessment file into the request it sends; a file that cannot be read says why.
fn read_file(path: &Path, validate_only: bool) -> Result<SubmitSelfAssessmentRequest, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let file: AssessmentFile =
        toml::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))?;
    let mut answers = Vec::with_capacity(file.answer.len());
    for (index, answer) in file.answer.into_iter().enumerate() {
        let given = match (answer.yes, answer.choice, answer.number) {
            (Some(yes), None, None) => criterion_answer::Answer::Yes(yes),
            (None, Some(choice), None) => criterion_answer::Answer::Choice(choice),
            (None, None, Some(number)) => criterion_answer::Answer::Number(number),
            _ => {
                return Err(format!(
                    "{}: answer[{index}] ({}) needs exactly one of yes, choice or number",
                    path.display(),
                    answer.criterion
                ));
            }
        };
        answers.push(CriterionAnswer {
            criterion_code: answer.criterion,
            answer: Some(given),
        });
    }
    Ok(SubmitSelfAssessmentRequest {
        request_id: file
            .request_id
            .unwrap_or_else(|| format!("file-{}", &sha256_hex(text.as_bytes())[7..39])),
        agency_code: file.agency,
        period_code: file.period,
        framework_code: file.framework,
        answers,
        evidence: file
            .evidence
            .into_iter()
            .map(|evidence| EvidenceReference {
                criterion_code: evidence.criterion,
                title: evidence.title,
                link: evidence.link,
                document_id: evidence.document_id,
                sha256: evidence.sha256,
            })
            .collect(),
        validate_only,
    })
}

/// Whether a refusal is the request's fault (printed, exit 2) rather than a failure.
fn refused(status: &tonic::Status) -> bool {
    matches!(
        status.code(),
        Code::InvalidArgument
            | Code::FailedPrecondition
            | Code::NotFound
            | Code::AlreadyExists
            | Code::PermissionDenied
    )
}

async fn submit(path: &Path, validate_only: bool, server: &ServerArgs) -> CliResult {
    let request = match read_file(path, validate_only) {
        Ok(request) => request,
        Err(why) => {
            eprintln!("{why}");
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
    };
    let mut client = MaturityServiceClient::new(connect(server).await?);
    let receipt = match client.submit_self_assessment(request).await {
        Ok(response) => response.into_inner(),
        Err(status) if refused(&status) => {
            print_refusal("self-assessment refused", &status);
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
        Err(status) => return Err(call_failed(&status, server).into()),
    };
    let out = &mut io::stdout().lock();
    let what = if receipt.validated_only {
        "valid (nothing stored)".to_string()
    } else if receipt.replayed {
        format!("already stored: self-assessment {}", receipt.id)
    } else {
        format!(
            "stored: self-assessment {}, revision {}",
            receipt.id, receipt.revision
        )
    };
    writeln!(
        out,
        "{} {} under {}: {what}",
        receipt.agency_code, receipt.period_code, receipt.framework_code
    )?;
    writeln!(out, "  content hash  {}", receipt.content_hash)?;
    if let Some(score) = &receipt.score {
        print_score(out, "score", score)?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn appraise(request: AppraiseSelfAssessmentRequest, server: &ServerArgs) -> CliResult {
    let mut client = MaturityServiceClient::new(connect(server).await?);
    let appraisal = match client.appraise_self_assessment(request).await {
        Ok(response) => response.into_inner(),
        Err(status) if refused(&status) => {
            print_refusal("appraisal refused", &status);
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
        Err(status) => return Err(call_failed(&status, server).into()),
    };
    writeln!(
        io::stdout().lock(),
        "appraised self-assessment {} criterion {}: {} points\n  reason       {}\n  appraised by {}",
        appraisal.self_assessment_id,
        appraisal.criterion_code,
        points(appraisal.points_hundredths),
        appraisal.reason,
        appraisal.appraised_by
    )?;
    Ok(ExitCode::SUCCESS)
}

async fn show(request: GetSelfAssessmentRequest, server: &ServerArgs) -> CliResult {
    let mut client = MaturityServiceClient::new(connect(server).await?);
    let assessment = match client.get_self_assessment(request).await {
        Ok(response) => response.into_inner(),
        Err(status) if refused(&status) => {
            print_refusal("no self-assessment to show", &status);
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
        Err(status) => return Err(call_failed(&status, server).into()),
    };
    let out = &mut io::stdout().lock();
    if let Some(receipt) = &assessment.receipt {
        writeln!(
            out,
            "self-assessment {}: {} {} under {}, revision {}, sent by {}",
            receipt.id,
            receipt.agency_code,
            receipt.period_code,
            receipt.framework_code,
            receipt.revision,
            assessment.submitted_by
        )?;
        if let Some(score) = &receipt.score {
            print_score(out, "self-assessed", score)?;
        }
    }
    if !assessment.misfits.is_empty() {
        writeln!(
            out,
            "  no longer fits the framework governing its period (not scored, counts as none):"
        )?;
        for misfit in &assessment.misfits {
            writeln!(out, "    {}: {}", misfit.field, misfit.description)?;
        }
    }
    for appraisal in &assessment.appraisals {
        writeln!(
            out,
            "  appraised {}: {} points by {} ({})",
            appraisal.criterion_code,
            points(appraisal.points_hundredths),
            appraisal.appraised_by,
            appraisal.reason
        )?;
    }
    if let Some(score) = &assessment.final_score {
        print_score(out, "final", score)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Hundredths of a point as a person writes them: "7", "1.5", "0.25".
fn points(hundredths: i32) -> String {
    let (whole, fraction) = (hundredths / 100, (hundredths % 100).abs());
    match fraction {
        0 => whole.to_string(),
        f if f % 10 == 0 => format!("{whole}.{}", f / 10),
        f => format!("{whole}.{f:02}"),
    }
}

fn print_score(out: &mut impl Write, heading: &str, score: &MaturityScore) -> io::Result<()> {
    writeln!(
        out,
        "  {heading:<13} {} of {} points, level {} ({})",
        points(score.total_hundredths),
        points(score.maximum_hundredths),
        score.level_rank,
        score.level_name
    )?;
    for pillar in &score.pillars {
        writeln!(
            out,
            "    {:<10} {} of {}",
            pillar.code,
            points(pillar.points_hundredths),
            points(pillar.maximum_hundredths)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{points, share, signed};

    #[test]
    fn points_are_written_as_people_write_them() {
        assert_eq!(points(700), "7");
        assert_eq!(points(150), "1.5");
        assert_eq!(points(25), "0.25");
        // A change below one point keeps its sign: "-0.5", not "0.5".
        assert_eq!(signed(Some(-50), ""), "-0.5");
        assert_eq!(signed(Some(1667), " pp"), "+16.67 pp");
        assert_eq!(share(Some(8807)), "88.07%");
    }
}
