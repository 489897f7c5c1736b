//! The province's yearly report to the Ministry: which provinces report on a plan in a period, how
//! a new version comes about (a first draft, a fresh snapshot, a correction), and which provinces
//! have reported by the deadline. The rules are written out for integrators in
//! proto/pressdx/v1/province_report.proto.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::catalog::Catalog;
use super::organization::{Organization, OrganizationKind};
use super::period::{Period, Timeliness};
use super::plan::Plan;
use super::scope::continued_by;

/// A correction reason is a paragraph.
use super::limits::MAX_PARAGRAPH_CHARS as MAX_CORRECTION_REASON_CHARS;

/// The provinces that report on `plan` in `period`, by code: those existing on the period's
/// reference date that the plan covers. A national plan covers every province; a province's own
/// plan covers that province, or, once it no longer exists, the provinces that continue it.
pub fn reporting_provinces<'a>(
    catalog: &'a Catalog,
    plan: &Plan,
    period: &Period,
) -> Vec<&'a Organization> {
    let on = period.reference_date();
    let provinces = catalog.organizations.iter().filter(|organization| {
        organization.kind == OrganizationKind::Province && organization.exists_on(on)
    });
    match &plan.province_code {
        None => provinces.collect(),
        Some(code) => {
            let covering = continued_by(catalog, code, on);
            provinces
                .filter(|province| covering.contains(&province.code))
                .collect()
        }
    }
}

/// Where a province's report stands before a new draft: its latest version, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Latest {
    None,
    Draft { version: i32 },
    Submitted { version: i32 },
}

/// What drafting does, given the latest version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drafting {
    /// Version 1.
    First,
    /// The draft's snapshot taken afresh; its narrative kept.
    Refresh { version: i32 },
    /// A new version correcting the submitted one, starting from its narrative.
    Correction { corrects: i32 },
}

impl Drafting {
    /// The version the draft will be.
    pub fn version(self) -> i32 {
        match self {
            Drafting::First => 1,
            Drafting::Refresh { version } => version,
            Drafting::Correction { corrects } => corrects + 1,
        }
    }
}

/// What drafting does when the latest version is `latest` and the request gives
/// `correction_reason` (trimmed, possibly empty); a sentence on `correction_reason` if the
/// request cannot be honoured.
pub fn drafting(latest: Latest, correction_reason: &str) -> Result<Drafting, String> {
    if correction_reason.chars().count() > MAX_CORRECTION_REASON_CHARS {
        return Err(format!("at most {MAX_CORRECTION_REASON_CHARS} characters"));
    }
    match latest {
        Latest::None if correction_reason.is_empty() => Ok(Drafting::First),
        Latest::None => {
            Err("nothing was submitted yet, so there is nothing to correct: leave it empty".into())
        }
        // A draft of version 1 means nothing was submitted yet: there is nothing to correct.
        Latest::Draft { version: 1 } if !correction_reason.is_empty() => Err(
            "nothing was submitted yet (version 1 is a draft), so there is nothing to correct: \
             leave it empty"
                .into(),
        ),
        Latest::Draft { version } => Ok(Drafting::Refresh { version }),
        Latest::Submitted { version } if correction_reason.is_empty() => Err(format!(
            "version {version} was submitted: a new version corrects it, and needs a reason"
        )),
        Latest::Submitted { version } => Ok(Drafting::Correction { corrects: version }),
    }
}

/// A submitted version of a province's report, as the reporting status reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedVersion {
    pub province_code: String,
    pub version: i32,
    pub submitted_at: DateTime<Utc>,
}

/// One province's line in the province-level reporting status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvinceReporting<'a> {
    pub province: &'a Organization,
    pub name: String,
    /// Its first and its latest submitted versions; `None` when nothing was submitted.
    pub submitted: Option<Submitted>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub first_submitted_at: DateTime<Utc>,
    pub timeliness: Timeliness,
    pub latest_version: i32,
    pub latest_submitted_at: DateTime<Utc>,
}

/// Each province of `expected` with what it submitted among `versions` (any order; those of
/// other provinces are ignored), timeliness judged on the first submitted version against the
/// period's province report deadline.
pub fn province_reporting<'a>(
    expected: &[&'a Organization],
    period: &Period,
    versions: &[SubmittedVersion],
) -> Vec<ProvinceReporting<'a>> {
    let mut by_province: BTreeMap<&str, Vec<&SubmittedVersion>> = BTreeMap::new();
    for version in versions {
        by_province
            .entry(version.province_code.as_str())
            .or_default()
            .push(version);
    }
    let deadline = period.province_report_deadline();
    expected
        .iter()
        .map(|province| {
            let submitted = by_province
                .get(province.code.as_str())
                .and_then(|versions| {
                    let first = versions.iter().min_by_key(|version| version.version)?;
                    let latest = versions.iter().max_by_key(|version| version.version)?;
                    Some(Submitted {
                        first_submitted_at: first.submitted_at,
                        timeliness: if first.submitted_at <= deadline {
                            Timeliness::OnTime
                        } else {
                            Timeliness::Late
                        },
                        latest_version: latest.version,
                        latest_submitted_at: latest.submitted_at,
                    })
                });
            ProvinceReporting {
                province,
                name: province
                    .version_on(period.reference_date())
                    .map_or_else(|| province.code.clone(), |version| version.name.clone()),
                submitted,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn default_catalog() -> Catalog {
        crate::catalog_file::parse(crate::catalog_file::DEFAULT_CATALOG).unwrap()
    }

    fn codes(provinces: &[&Organization]) -> Vec<String> {
        provinces
            .iter()
            .map(|province| province.code.clone())
            .collect()
    }

    #[test]
    fn a_provincial_plan_is_reported_on_by_its_province_then_by_whoever_continues_it() {
        let catalog = default_catalog();
        let plan = catalog
            .plans
            .iter()
            .find(|plan| plan.province_code.is_some())
            .unwrap();
        let province = plan.province_code.clone().unwrap();
        let in_2024 = catalog.period("2024").unwrap();
        assert_eq!(
            codes(&reporting_provinces(&catalog, plan, in_2024)),
            std::slice::from_ref(&province)
        );
        // Nam Định was merged into the new Ninh Bình in 2025.
        let in_2026 = catalog.period("2026").unwrap();
        let reporting = codes(&reporting_provinces(&catalog, plan, in_2026));
        assert_eq!(reporting.len(), 1);
        assert_ne!(reporting[0], province);
    }

    #[test]
    fn a_national_plan_is_reported_on_by_every_province_of_the_day() {
        let catalog = default_catalog();
        let plan = catalog
            .plans
            .iter()
            .find(|plan| plan.province_code.is_none())
            .unwrap();
        let period = catalog.period("2026").unwrap();
        let expected: Vec<String> = catalog
            .organizations
            .iter()
            .filter(|organization| {
                organization.kind == OrganizationKind::Province
                    && organization.exists_on(period.window_end)
            })
            .map(|organization| organization.code.clone())
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(
            codes(&reporting_provinces(&catalog, plan, period)),
            expected
        );
    }

    #[test]
    fn drafting_needs_a_reason_exactly_when_it_corrects() {
        assert_eq!(drafting(Latest::None, ""), Ok(Drafting::First));
        assert!(drafting(Latest::None, "typo").is_err());
        // A first draft taken afresh: still nothing submitted, still nothing to correct.
        assert_eq!(
            drafting(Latest::Draft { version: 1 }, ""),
            Ok(Drafting::Refresh { version: 1 })
        );
        assert!(drafting(Latest::Draft { version: 1 }, "typo").is_err());
        // A correction's draft taken afresh may give its reason anew.
        assert_eq!(
            drafting(Latest::Draft { version: 2 }, "late reports"),
            Ok(Drafting::Refresh { version: 2 })
        );
        assert_eq!(
            drafting(Latest::Draft { version: 2 }, ""),
            Ok(Drafting::Refresh { version: 2 })
        );
        assert!(drafting(Latest::Submitted { version: 1 }, "").is_err());
        let correction = drafting(Latest::Submitted { version: 1 }, "late reports").unwrap();
        assert_eq!(correction.version(), 2);
        assert!(drafting(Latest::None, &"x".repeat(2_001)).is_err());
    }

    #[test]
    fn timeliness_is_that_of_the_first_submitted_version() {
        let catalog = default_catalog();
        let period = catalog.period("2024").unwrap();
        let provinces: Vec<&Organization> = catalog
            .organizations
            .iter()
            .filter(|organization| {
                organization.kind == OrganizationKind::Province
                    && organization.exists_on(period.window_end)
            })
            .take(2)
            .collect();
        assert_eq!(
            provinces.len(),
            2,
            "the default catalogue has three provinces in 2024"
        );
        // 15 December 2024 00:00 +07:00 = 14 December 17:00 UTC.
        let on_time = Utc.with_ymd_and_hms(2024, 12, 14, 17, 0, 0).unwrap();
        let late = Utc.with_ymd_and_hms(2024, 12, 14, 17, 0, 1).unwrap();
        let versions = [
            SubmittedVersion {
                province_code: provinces[0].code.clone(),
                version: 2,
                submitted_at: late,
            },
            SubmittedVersion {
                province_code: provinces[0].code.clone(),
                version: 1,
                submitted_at: on_time,
            },
        ];
        let reporting = province_reporting(&provinces, period, &versions);
        let first = reporting[0].submitted.as_ref().unwrap();
        assert_eq!(first.timeliness, Timeliness::OnTime);
        assert_eq!(first.first_submitted_at, on_time);
        assert_eq!((first.latest_version, first.latest_submitted_at), (2, late));
        assert_eq!(reporting[1].submitted, None);
    }
}
