//! The comparison: each served figure against the recomputed one, every field the proto defines,
//! a difference gathered by what differs.

use std::collections::BTreeSet;

use pressdx::proto::{Boundaries, TargetStatus, TargetSummary};

use super::figures::{Expected, Frac};
use super::scopes::Within;

pub(super) fn compare(
    context: &str,
    expected: &Expected,
    within: Within,
    served: &TargetSummary,
    failures: &mut Vec<(String, String)>,
) {
    let mut differ = |what: &str, expected: String, served: String| {
        if expected != served {
            failures.push((
                what.to_string(),
                format!("{context}: {what}: recomputed {expected}, served {served}"),
            ));
        }
    };
    let figure = &expected.figure;
    differ(
        "numerator/denominator",
        format!("{}/{}", figure.numerator, figure.denominator),
        format!("{}/{}", served.numerator, served.denominator),
    );
    differ(
        "evaluated_denominator",
        figure.evaluated_denominator.to_string(),
        served.evaluated_denominator.to_string(),
    );
    differ(
        "expected/reporting/evaluated agencies",
        format!(
            "{}/{}/{}",
            figure.expected, figure.reporting, figure.evaluated
        ),
        format!(
            "{}/{}/{}",
            served.expected_agencies, served.reporting_agencies, served.evaluated_agencies
        ),
    );
    differ(
        "missing_agency_codes",
        format!("{:?}", figure.missing),
        format!(
            "{:?}",
            served
                .missing_agency_codes
                .iter()
                .cloned()
                .collect::<BTreeSet<_>>()
        ),
    );
    differ(
        "not_evaluable",
        format!("{:?}", figure.not_evaluable),
        format!(
            "{:?}",
            served
                .not_evaluable
                .iter()
                .map(|n| n.agency_code.clone())
                .collect::<BTreeSet<_>>()
        ),
    );
    if let Some(share) = expected.share {
        differ("share", show(Some(share)), show_f64(Some(served.share)));
    }
    differ(
        "previous_share",
        show(expected.previous),
        show_f64(served.previous_share),
    );
    differ(
        "status",
        format!("{:?}", expected.status),
        format!("{:?}", served.status()),
    );
    let (applies, interpolated) = match expected.requirement {
        Some((_, interpolated)) => (true, interpolated),
        None => (false, false),
    };
    differ(
        "requirement_applies/required_share_interpolated",
        format!("{applies}/{interpolated}"),
        format!(
            "{}/{}",
            served.requirement_applies, served.required_share_interpolated
        ),
    );
    if let Some((required, _)) = expected.requirement {
        differ(
            "required_share",
            show(Some(required)),
            show_f64(Some(served.required_share)),
        );
    }
    differ(
        "parameter_bp",
        format!("{:?}", expected.parameter),
        format!("{:?}", served.parameter_bp.map(i64::from)),
    );
    // The figures behind the status, where the status was reached through them.
    if matches!(
        expected.status,
        TargetStatus::OnTrack
            | TargetStatus::AccelerationNeeded
            | TargetStatus::LimitedProgress
            | TargetStatus::Deterioration
    ) {
        if let Some((year, share)) = expected.next {
            differ(
                "next milestone",
                format!("{year} {}", show(Some(share))),
                format!(
                    "{} {}",
                    served.next_milestone_year,
                    show_f64(Some(served.next_milestone_share))
                ),
            );
        }
        differ(
            "needed_yearly_progress",
            show(expected.needed),
            show_f64(served.needed_yearly_progress),
        );
        differ(
            "observed_yearly_progress",
            show(expected.observed),
            show_f64(served.observed_yearly_progress),
        );
    }

    // How the scope was read.
    let resolution = served.scope_resolution.clone().unwrap_or_default();
    let (boundaries, as_of) = match within {
        Within::Historical => (Boundaries::Historical, String::new()),
        Within::Current(date) => (Boundaries::Current, date.to_string()),
    };
    differ(
        "scope_resolution boundaries/as_of",
        format!("{boundaries:?} {as_of:?}"),
        format!("{:?} {:?}", resolution.boundaries(), resolution.as_of),
    );
    let served_absence = resolution.absence.map(|absence| {
        format!(
            "{} on {}: {:?} instead {:?}",
            absence.organization_code,
            absence.date,
            absence.reason(),
            absence.instead_codes.into_iter().collect::<BTreeSet<_>>()
        )
    });
    let expected_absence = expected.absence.as_ref().map(|absence| {
        format!(
            "{} on {}: {:?} instead {:?}",
            absence.code, absence.date, absence.reason, absence.instead
        )
    });
    differ(
        "scope_resolution.absence",
        format!("{expected_absence:?}"),
        format!("{served_absence:?}"),
    );
}

/// A fraction as the double the server sends, to 9 decimals (the doubles are for display).
fn show(value: Option<Frac>) -> String {
    show_f64(value.map(Frac::to_f64))
}

fn show_f64(value: Option<f64>) -> String {
    match value {
        // Adding 0.0 turns -0.0 into 0.0.
        Some(value) => format!("{:.9}", value + 0.0),
        None => "none".to_string(),
    }
}
