//! Conversions between wire messages and domain values. Reading a report never fails: whatever is
//! wrong with it is for the domain's checks to find and report, all at once. The few request
//! fields read here that can be wrong on their own (a date, a boundaries value) are refused with
//! their field named.

use chrono::{DateTime, NaiveDate, Utc};
use prost_types::Timestamp;

use crate::domain::formats::parse_date;
use crate::domain::indicator::{Indicator, IndicatorType};
use crate::domain::maturity::{Framework, Points, Scoring};
use crate::domain::organization::{
    AgencyType, Organization, OrganizationKind, OrganizationLink, OrganizationVersion,
};
use crate::domain::period::{Period, Timeliness, today_in_vietnam};
use crate::domain::plan::{Plan, Population, Target, TargetRule};
use crate::domain::plausibility::Warning;
use crate::domain::report::{AnnualReport, DigitalPlatform, PlatformOrigin, StaffCounts};
use crate::domain::scope::{Absence, AbsenceReason, Boundaries};
use crate::proto;

use crate::app::AppError;
use crate::app::submissions::{GivenInstant, Receipt, StoredSubmission};

pub fn report_from_proto(report: proto::AnnualReport) -> AnnualReport {
    let staff = |counts: Option<proto::StaffCounts>| {
        let counts = counts.unwrap_or_default();
        StaffCounts {
            leaders: counts.leaders,
            reporters: counts.reporters,
            editors: counts.editors,
            other: counts.other,
        }
    };
    AnnualReport {
        content_on_digital_platforms: report.content_on_digital_platforms,
        digital_platforms: report
            .digital_platforms
            .into_iter()
            .map(|platform| DigitalPlatform {
                origin: platform_origin_from_proto(platform.origin),
                name: platform.name,
            })
            .collect(),
        central_data_platform: report.central_data_platform,
        ai_in_operations: report.ai_in_operations,
        converged_newsroom: report.converged_newsroom,
        newsroom_management_platform: report.newsroom_management_platform,
        revenue_vnd: report.revenue_vnd,
        digital_revenue_vnd: report.digital_revenue_vnd,
        headcount: staff(report.headcount),
        trained: staff(report.trained),
        publishes_electronic_press: report.publishes_electronic_press,
        security_level: report.security_level,
        digital_products_launched: report.digital_products_launched,
        digital_radio_platform: report.digital_radio_platform,
        digital_tv_platform: report.digital_tv_platform,
    }
}

/// Unset and unknown origins both become `None`, which the checks report.
fn platform_origin_from_proto(origin: i32) -> Option<PlatformOrigin> {
    match proto::PlatformOrigin::try_from(origin).ok()? {
        proto::PlatformOrigin::Unspecified => None,
        proto::PlatformOrigin::Own => Some(PlatformOrigin::Own),
        proto::PlatformOrigin::Domestic => Some(PlatformOrigin::Domestic),
        proto::PlatformOrigin::Foreign => Some(PlatformOrigin::Foreign),
    }
}

pub fn report_to_proto(report: &AnnualReport) -> proto::AnnualReport {
    let staff = |counts: &StaffCounts| proto::StaffCounts {
        leaders: counts.leaders,
        reporters: counts.reporters,
        editors: counts.editors,
        other: counts.other,
    };
    proto::AnnualReport {
        content_on_digital_platforms: report.content_on_digital_platforms,
        digital_platforms: report
            .digital_platforms
            .iter()
            .map(|platform| proto::DigitalPlatform {
                name: platform.name.clone(),
                origin: match platform.origin {
                    None => proto::PlatformOrigin::Unspecified,
                    Some(PlatformOrigin::Own) => proto::PlatformOrigin::Own,
                    Some(PlatformOrigin::Domestic) => proto::PlatformOrigin::Domestic,
                    Some(PlatformOrigin::Foreign) => proto::PlatformOrigin::Foreign,
                }
                .into(),
            })
            .collect(),
        central_data_platform: report.central_data_platform,
        ai_in_operations: report.ai_in_operations,
        converged_newsroom: report.converged_newsroom,
        newsroom_management_platform: report.newsroom_management_platform,
        revenue_vnd: report.revenue_vnd,
        digital_revenue_vnd: report.digital_revenue_vnd,
        headcount: Some(staff(&report.headcount)),
        trained: Some(staff(&report.trained)),
        publishes_electronic_press: report.publishes_electronic_press,
        security_level: report.security_level,
        digital_products_launched: report.digital_products_launched,
        digital_radio_platform: report.digital_radio_platform,
        digital_tv_platform: report.digital_tv_platform,
    }
}

/// The date to read the organisation tree on: the one given, or today in Vietnam.
pub fn as_of_date(text: &str) -> Result<NaiveDate, AppError> {
    if text.is_empty() {
        return Ok(today_in_vietnam());
    }
    parse_date(text).map_err(|why| AppError::invalid_argument("as_of", why))
}

/// A summary request's boundaries and as_of; HISTORICAL when unset. CURRENT without as_of takes
/// today in Vietnam.
pub fn boundaries_from_proto(boundaries: i32, as_of: &str) -> Result<Boundaries, AppError> {
    match proto::Boundaries::try_from(boundaries) {
        Ok(proto::Boundaries::Unspecified | proto::Boundaries::Historical) => {
            if as_of.is_empty() {
                Ok(Boundaries::Historical)
            } else {
                Err(AppError::invalid_argument(
                    "as_of",
                    "applies to CURRENT boundaries only: HISTORICAL reads each period on its own \
                     reference date",
                ))
            }
        }
        Ok(proto::Boundaries::Current) => Ok(Boundaries::Current {
            as_of: as_of_date(as_of)?,
        }),
        Err(_) => Err(AppError::invalid_argument(
            "boundaries",
            format!("{boundaries} is not a Boundaries value: HISTORICAL (1) or CURRENT (2)"),
        )),
    }
}

/// How a scope was read, for an answer.
pub fn scope_resolution_to_proto(
    boundaries: Boundaries,
    absence: Option<&Absence>,
) -> proto::ScopeResolution {
    let (kind, as_of) = match boundaries {
        Boundaries::Historical => (proto::Boundaries::Historical, String::new()),
        Boundaries::Current { as_of } => (proto::Boundaries::Current, as_of.to_string()),
    };
    proto::ScopeResolution {
        boundaries: kind.into(),
        as_of,
        absence: absence.map(|absence| proto::ScopeAbsence {
            organization_code: absence.organization_code.clone(),
            date: absence.on.to_string(),
            reason: match absence.reason {
                AbsenceReason::NotYetFormed => proto::scope_absence::Reason::NotYetFormed,
                AbsenceReason::Ended => proto::scope_absence::Reason::Ended,
            }
            .into(),
            instead_codes: absence.instead.clone(),
        }),
    }
}

pub fn timestamp(instant: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: instant.timestamp(),
        nanos: i32::try_from(instant.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

pub fn instant(timestamp: &Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(timestamp.seconds, u32::try_from(timestamp.nanos).ok()?)
}

/// An optional instant of a request, for the application to refuse if it is not one.
pub fn given_instant(timestamp: Option<&Timestamp>) -> GivenInstant {
    match timestamp.map(instant) {
        None => GivenInstant::Absent,
        Some(None) => GivenInstant::NotAnInstant,
        Some(Some(instant)) => GivenInstant::At(instant),
    }
}

pub fn timeliness_of_flag(late: bool) -> proto::Timeliness {
    if late {
        proto::Timeliness::Late
    } else {
        proto::Timeliness::OnTime
    }
}

pub fn submission_to_proto(submission: &StoredSubmission) -> proto::Submission {
    proto::Submission {
        submission_id: submission.id,
        agency_code: submission.agency_code.clone(),
        period_code: submission.period_code.clone(),
        revision: submission.revision,
        request_id: submission.request_id.clone(),
        received_at: Some(timestamp(submission.received_at)),
        timeliness: timeliness_of_flag(submission.late).into(),
        content_hash: submission.content_hash.clone(),
        superseded: submission.superseded,
        report: Some(report_to_proto(&submission.report)),
        entered_by: submission.entered_by.clone().unwrap_or_default(),
        received_at_asserted: submission.received_at_asserted,
        // Its review is the store's to look up: see SubmissionApi.
        review: None,
        warnings: warnings_to_proto(&submission.warnings),
    }
}

/// The receipt of a submit: of the submission stored (or replayed), or of a valid report that
/// a validate-only request did not store.
pub fn receipt_to_proto(receipt: Receipt) -> proto::SubmissionReceipt {
    match receipt {
        Receipt::Stored {
            submission,
            deadline,
            replayed,
            validated_only,
            latest_revision,
        } => proto::SubmissionReceipt {
            submission_id: submission.id,
            agency_code: submission.agency_code,
            period_code: submission.period_code,
            revision: submission.revision,
            received_at: Some(timestamp(submission.received_at)),
            timeliness: timeliness_of_flag(submission.late).into(),
            deadline: Some(timestamp(deadline)),
            content_hash: submission.content_hash,
            validated_only,
            replayed,
            request_id: submission.request_id,
            latest_revision,
            entered_by: submission.entered_by.unwrap_or_default(),
            received_at_asserted: submission.received_at_asserted,
            warnings: warnings_to_proto(&submission.warnings),
            feed_position: submission.feed_position,
        },
        Receipt::Valid {
            valid,
            received_at,
            latest_revision,
        } => proto::SubmissionReceipt {
            submission_id: 0,
            agency_code: valid.agency_code,
            period_code: valid.period.code.clone(),
            revision: latest_revision + 1,
            received_at: Some(timestamp(received_at)),
            timeliness: timeliness_of_flag(
                valid.period.timeliness(received_at) == Timeliness::Late,
            )
            .into(),
            deadline: Some(timestamp(valid.period.deadline)),
            content_hash: valid.content_hash,
            validated_only: true,
            replayed: false,
            request_id: valid.request_id,
            latest_revision,
            entered_by: if valid.on_behalf {
                valid.submitted_by
            } else {
                String::new()
            },
            received_at_asserted: valid.asserted_received_at.is_some(),
            warnings: warnings_to_proto(&valid.warnings),
            feed_position: 0,
        },
    }
}

pub fn warnings_to_proto(warnings: &[Warning]) -> Vec<proto::Warning> {
    warnings
        .iter()
        .map(|warning| proto::Warning {
            field: warning.field.clone(),
            rule: warning.rule.clone(),
            message: warning.message.clone(),
        })
        .collect()
}

fn date_text(date: Option<NaiveDate>) -> String {
    date.map(|date| date.to_string()).unwrap_or_default()
}

pub fn period_to_proto(period: &Period) -> proto::Period {
    proto::Period {
        code: period.code.clone(),
        year: period.year,
        window_start: period.window_start.to_string(),
        window_end: period.window_end.to_string(),
        deadline: Some(timestamp(period.deadline)),
        closes_at: period.closes_at.map(timestamp),
        province_report_deadline: Some(timestamp(period.province_report_deadline())),
    }
}

pub fn indicator_to_proto(indicator: &Indicator) -> proto::Indicator {
    proto::Indicator {
        code: indicator.code.clone(),
        name: indicator.name.clone(),
        description: indicator.description.clone(),
        r#type: match indicator.indicator_type {
            IndicatorType::Boolean => proto::IndicatorType::Boolean,
            IndicatorType::Count => proto::IndicatorType::Count,
            IndicatorType::Money => proto::IndicatorType::Money,
            IndicatorType::Level => proto::IndicatorType::Level,
            IndicatorType::PlatformList => proto::IndicatorType::PlatformList,
        }
        .into(),
        unit: indicator.unit.clone(),
        min: indicator.min,
        max: indicator.max,
        required: indicator.required,
    }
}

pub fn organization_kind_to_proto(kind: OrganizationKind) -> proto::OrganizationKind {
    match kind {
        OrganizationKind::Ministry => proto::OrganizationKind::Ministry,
        OrganizationKind::Province => proto::OrganizationKind::Province,
        OrganizationKind::Department => proto::OrganizationKind::Department,
        OrganizationKind::GoverningBody => proto::OrganizationKind::GoverningBody,
        OrganizationKind::PressAgency => proto::OrganizationKind::PressAgency,
    }
}

/// `None` for the unspecified kind, which means "any".
pub fn organization_kind_from_proto(kind: i32) -> Option<Option<OrganizationKind>> {
    Some(match proto::OrganizationKind::try_from(kind).ok()? {
        proto::OrganizationKind::Unspecified => None,
        proto::OrganizationKind::Ministry => Some(OrganizationKind::Ministry),
        proto::OrganizationKind::Province => Some(OrganizationKind::Province),
        proto::OrganizationKind::Department => Some(OrganizationKind::Department),
        proto::OrganizationKind::GoverningBody => Some(OrganizationKind::GoverningBody),
        proto::OrganizationKind::PressAgency => Some(OrganizationKind::PressAgency),
    })
}

pub(super) fn agency_type_to_proto(agency_type: Option<AgencyType>) -> proto::AgencyType {
    match agency_type {
        None => proto::AgencyType::Unspecified,
        Some(AgencyType::CentralNewspaper) => proto::AgencyType::CentralNewspaper,
        Some(AgencyType::LocalNewspaper) => proto::AgencyType::LocalNewspaper,
        Some(AgencyType::Magazine) => proto::AgencyType::Magazine,
        Some(AgencyType::ScientificJournal) => proto::AgencyType::ScientificJournal,
        Some(AgencyType::RadioTv) => proto::AgencyType::RadioTv,
        Some(AgencyType::LocalNewspaperRadioTv) => proto::AgencyType::LocalNewspaperRadioTv,
    }
}

fn version_to_proto(version: &OrganizationVersion) -> proto::OrganizationVersion {
    proto::OrganizationVersion {
        valid_from: date_text(version.valid_from),
        valid_until: date_text(version.valid_until),
        name: version.name.clone(),
        province_code: version.province_code.clone().unwrap_or_default(),
        governing_body_code: version.governing_body_code.clone().unwrap_or_default(),
        agency_type: agency_type_to_proto(version.agency_type).into(),
        publishes_electronic_press: version.publishes_electronic_press,
    }
}

/// An organisation as it stood on `as_of`, with its history and the links that touch it.
pub fn organization_to_proto(
    organization: &Organization,
    links: &[OrganizationLink],
    as_of: NaiveDate,
) -> proto::Organization {
    let link = |code: &str, link: &OrganizationLink| proto::OrganizationLink {
        organization_code: code.to_string(),
        effective_on: link.effective_on.to_string(),
        kind: link.kind.as_str().to_string(),
    };
    proto::Organization {
        code: organization.code.clone(),
        kind: organization_kind_to_proto(organization.kind).into(),
        valid_from: date_text(organization.valid_from),
        valid_until: date_text(organization.valid_until),
        current: Some(version_to_proto(organization.version_nearest(as_of))),
        history: organization.versions.iter().map(version_to_proto).collect(),
        predecessors: links
            .iter()
            .filter(|l| l.successor_code == organization.code)
            .map(|l| link(&l.predecessor_code, l))
            .collect(),
        successors: links
            .iter()
            .filter(|l| l.predecessor_code == organization.code)
            .map(|l| link(&l.successor_code, l))
            .collect(),
        illustrative: organization.illustrative,
        note: organization.note.clone(),
    }
}

pub fn plan_to_proto(plan: &Plan) -> proto::Plan {
    proto::Plan {
        code: plan.code.clone(),
        name: plan.name.clone(),
        decision: plan.decision.clone(),
        issued_on: date_text(plan.issued_on),
        province_code: plan.province_code.clone().unwrap_or_default(),
        targets: plan.targets.iter().map(target_to_proto).collect(),
    }
}

fn target_to_proto(target: &Target) -> proto::Target {
    let measure = match target.rule {
        TargetRule::AgencyShare { .. } => proto::TargetMeasure::AgencyShare,
        TargetRule::PeopleShare { .. } => proto::TargetMeasure::PeopleShare,
    };
    let population = match target.rule.population() {
        Population::AllAgencies => proto::TargetPopulation::AllAgencies,
        Population::ElectronicPressAgencies => proto::TargetPopulation::ElectronicPressAgencies,
    };
    proto::Target {
        code: target.code.clone(),
        name: target.name.clone(),
        measure: measure.into(),
        population: population.into(),
        rule: target.rule.describe(),
        milestones: target
            .milestones
            .iter()
            .map(|milestone| proto::Milestone {
                year: milestone.year,
                // Shares and parameters are at most 100% (10 000), checked when parsed.
                required_share_bp: milestone.required_share_bp as i32,
                parameter_bp: milestone.parameter_bp.map(|bp| bp as i32),
            })
            .collect(),
    }
}

/// Points on the wire, in hundredths: no catalogue holds anywhere near 21 million points.
fn points_to_proto(points: Points) -> i32 {
    i32::try_from(points.hundredths()).unwrap_or(i32::MAX)
}

pub fn maturity_framework_to_proto(framework: &Framework) -> proto::MaturityFramework {
    let pillars = framework
        .pillars
        .iter()
        .map(|pillar| proto::MaturityPillar {
            code: pillar.code.clone(),
            name: pillar.name.clone(),
            points_hundredths: points_to_proto(pillar.points),
            illustrative: pillar.illustrative,
            note: pillar.note.clone(),
        })
        .collect();
    let components = framework
        .components
        .iter()
        .map(|component| proto::MaturityComponent {
            code: component.code.clone(),
            pillar_code: component.pillar.clone(),
            name: component.name.clone(),
            points_hundredths: component.points.map(points_to_proto),
            illustrative: component.illustrative,
            note: component.note.clone(),
        })
        .collect();
    let criteria = framework
        .criteria
        .iter()
        .map(|criterion| {
            use proto::maturity_criterion::Scoring as Wire;
            let scoring = match &criterion.scoring {
                Scoring::YesNo => Wire::YesNo(proto::MaturityYesNoScoring {}),
                Scoring::Graded { choices } => Wire::Graded(proto::MaturityGradedScoring {
                    choices: choices
                        .iter()
                        .map(|choice| proto::MaturityChoice {
                            code: choice.code.clone(),
                            label: choice.label.clone(),
                            points_hundredths: points_to_proto(choice.points),
                        })
                        .collect(),
                }),
                Scoring::NumericBands { unit, bands } => {
                    Wire::NumericBands(proto::MaturityNumericBandsScoring {
                        unit: unit.clone(),
                        bands: bands
                            .iter()
                            .map(|band| proto::MaturityBand {
                                from_hundredths: band.from.0,
                                until_hundredths: band.until.map(|until| until.0),
                                points_hundredths: points_to_proto(band.points),
                            })
                            .collect(),
                    })
                }
            };
            proto::MaturityCriterion {
                code: criterion.code.clone(),
                component_code: criterion.component.clone(),
                pillar_code: framework
                    .pillar_of(criterion)
                    .map(|pillar| pillar.code.clone())
                    .unwrap_or_default(),
                label: criterion.label.clone(),
                points_hundredths: points_to_proto(criterion.points),
                scoring: Some(scoring),
                illustrative: criterion.illustrative,
                note: criterion.note.clone(),
            }
        })
        .collect();
    let levels = framework
        .levels
        .iter()
        .map(|level| proto::MaturityLevel {
            rank: i32::try_from(level.rank).unwrap_or(i32::MAX),
            name: level.name.clone(),
            from_points_hundredths: points_to_proto(level.from),
            illustrative: level.illustrative,
            note: level.note.clone(),
        })
        .collect();
    let blocks = framework
        .blocks
        .iter()
        .map(|block| proto::MaturityBlock {
            code: block.code.clone(),
            name: block.name.clone(),
            agency_types: block
                .agency_types
                .iter()
                .map(|agency_type| agency_type_to_proto(Some(*agency_type)).into())
                .collect(),
            illustrative: block.illustrative,
            note: block.note.clone(),
        })
        .collect();
    proto::MaturityFramework {
        code: framework.code.clone(),
        name: framework.name.clone(),
        decision: framework.decision.clone(),
        issued_on: date_text(framework.issued_on),
        issuer: framework.issuer.clone(),
        period_codes: framework.periods.clone(),
        points_hundredths: points_to_proto(framework.points),
        pillars,
        components,
        criteria,
        levels,
        blocks,
        illustrative: framework.illustrative,
        note: framework.note.clone(),
    }
}
