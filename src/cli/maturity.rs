//! `pressdx maturity`: an agency's self-assessment under the maturity index from a TOML file, the
//! council's appraisal of a criterion, and reading one back with its scores, over
//! MaturityService.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use serde::Deserialize;
use tonic::Code;

use super::client::connect;
use super::diagnosis::call_failed;
use super::submissions::print_refusal;
use super::{CliResult, EXIT_REFUSED};
use crate::config::{MaturityCommand, ServerArgs};
use crate::domain::canonical::sha256_hex;
use crate::proto::maturity_service_client::MaturityServiceClient;
use crate::proto::{
    AppraiseSelfAssessmentRequest, CriterionAnswer, EvidenceReference, GetSelfAssessmentRequest,
    MaturityScore, SubmitSelfAssessmentRequest, criterion_answer,
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
    use super::points;

    #[test]
    fn points_are_written_as_people_write_them() {
        assert_eq!(points(700), "7");
        assert_eq!(points(150), "1.5");
        assert_eq!(points(25), "0.25");
    }
}
