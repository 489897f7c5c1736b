//! The annual report an agency sends, and the rules a report must keep: the catalogue's types,
//! limits and required fields, and the rules that tie fields together.

use serde::{Deserialize, Serialize};

use super::canonical::{sha256_hex, to_canonical_json};
use super::indicator::Indicator;
use super::limits::{MAX_NAME_CHARS, MAX_PLATFORMS};
use super::organization::vocabulary;
use super::violation::Violations;

/// The name of the canonical form that content hashes are computed over; it is part of the bytes
/// hashed, so that a later form can never give one of its hashes to different content.
pub const CONTENT_HASH_FORM: &str = "pressdx.report.v1";

/// One agency's annual report, field for field as the wire message carries it. Every indicator is
/// optional here because "not answered" is not "no"; which ones must be present is the catalogue's
/// say, checked by [`check_report`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnnualReport {
    pub content_on_digital_platforms: Option<bool>,
    pub digital_platforms: Vec<DigitalPlatform>,
    pub central_data_platform: Option<bool>,
    pub ai_in_operations: Option<bool>,
    pub converged_newsroom: Option<bool>,
    pub newsroom_management_platform: Option<bool>,
    pub revenue_vnd: Option<i64>,
    pub digital_revenue_vnd: Option<i64>,
    pub headcount: StaffCounts,
    pub trained: StaffCounts,
    pub publishes_electronic_press: Option<bool>,
    pub security_level: Option<i64>,
    pub digital_products_launched: Option<i64>,
    pub digital_radio_platform: Option<bool>,
    pub digital_tv_platform: Option<bool>,
}

/// People by the four categories the strategy names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaffCounts {
    pub leaders: Option<i64>,
    pub reporters: Option<i64>,
    pub editors: Option<i64>,
    pub other: Option<i64>,
}

impl StaffCounts {
    /// The categories with their field names, in a fixed order.
    pub fn categories(&self) -> [(&'static str, Option<i64>); 4] {
        [
            ("leaders", self.leaders),
            ("reporters", self.reporters),
            ("editors", self.editors),
            ("other", self.other),
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigitalPlatform {
    pub name: String,
    /// `None` when the sender did not say (or said something unknown): a violation.
    pub origin: Option<PlatformOrigin>,
}

vocabulary! {
    /// Who runs a digital platform.
    PlatformOrigin {
        Own = "own",
        Domestic = "domestic",
        Foreign = "foreign",
    }
}

/// A report field's value, read generically so that catalogue-driven rules need no per-field code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValue {
    Missing,
    Bool(bool),
    Number(i64),
    /// A list, by its length.
    List(usize),
}

impl AnnualReport {
    /// The value of the field whose path is `code` (an indicator code).
    pub fn value_of(&self, code: &str) -> FieldValue {
        fn flag(value: Option<bool>) -> FieldValue {
            value.map_or(FieldValue::Missing, FieldValue::Bool)
        }
        fn number(value: Option<i64>) -> FieldValue {
            value.map_or(FieldValue::Missing, FieldValue::Number)
        }
        match code {
            "content_on_digital_platforms" => flag(self.content_on_digital_platforms),
            "digital_platforms" => FieldValue::List(self.digital_platforms.len()),
            "central_data_platform" => flag(self.central_data_platform),
            "ai_in_operations" => flag(self.ai_in_operations),
            "converged_newsroom" => flag(self.converged_newsroom),
            "newsroom_management_platform" => flag(self.newsroom_management_platform),
            "revenue_vnd" => number(self.revenue_vnd),
            "digital_revenue_vnd" => number(self.digital_revenue_vnd),
            "publishes_electronic_press" => flag(self.publishes_electronic_press),
            "security_level" => number(self.security_level),
            "digital_products_launched" => number(self.digital_products_launched),
            "digital_radio_platform" => flag(self.digital_radio_platform),
            "digital_tv_platform" => flag(self.digital_tv_platform),
            _ => match code.split_once('.') {
                Some(("headcount", category)) => number(staff_category(&self.headcount, category)),
                Some(("trained", category)) => number(staff_category(&self.trained, category)),
                _ => FieldValue::Missing,
            },
        }
    }

    /// "sha256:" and the hex SHA-256 of the canonical form [`CONTENT_HASH_FORM`] of this report
    /// together with whose and which period's report it is (see
    /// pressdx.v1.SubmissionReceipt.content_hash). Equal content gives an equal hash, whatever
    /// request carried it; a field left unanswered contributes nothing, so a field added to the
    /// report later leaves the hashes of the reports stored before it unchanged.
    pub fn content_hash(&self, agency_code: &str, period_code: &str) -> String {
        content_hash_of(agency_code, period_code, self)
    }

    /// The report as the database keeps it: its canonical JSON, without the fields left
    /// unanswered.
    pub fn to_stored_json(&self) -> String {
        to_canonical_json(self)
    }
}

/// The content hash of any report shape: this one, or one with indicators added later.
fn content_hash_of(agency_code: &str, period_code: &str, report: &impl Serialize) -> String {
    #[derive(Serialize)]
    struct Hashed<'a, R> {
        form: &'static str,
        agency_code: &'a str,
        period_code: &'a str,
        report: &'a R,
    }
    let hashed = Hashed {
        form: CONTENT_HASH_FORM,
        agency_code,
        period_code,
        report,
    };
    sha256_hex(to_canonical_json(&hashed).as_bytes())
}

fn staff_category(counts: &StaffCounts, category: &str) -> Option<i64> {
    counts
        .categories()
        .into_iter()
        .find(|(name, _)| *name == category)
        .and_then(|(_, value)| value)
}

/// Checks a report against the catalogue's indicators and the cross-field rules, adding every
/// violation found, with field paths under `prefix` (such as "report").
pub fn check_report(
    report: &AnnualReport,
    indicators: &[Indicator],
    prefix: &str,
    violations: &mut Violations,
) {
    let path = |field: &str| format!("{prefix}.{field}");

    for indicator in indicators {
        check_against_indicator(report, indicator, &path(&indicator.code), violations);
    }

    for (index, platform) in report.digital_platforms.iter().enumerate() {
        let platform_path = path(&format!("digital_platforms[{index}]"));
        let name = platform.name.trim();
        if name.is_empty() {
            violations.add(format!("{platform_path}.name"), "a platform needs a name");
        } else if name.chars().count() > MAX_NAME_CHARS {
            violations.add(
                format!("{platform_path}.name"),
                format!("at most {MAX_NAME_CHARS} characters"),
            );
        }
        if platform.origin.is_none() {
            violations.add(
                format!("{platform_path}.origin"),
                "say whether the platform is the agency's own, domestic or foreign",
            );
        }
    }
    if report.digital_platforms.len() > MAX_PLATFORMS {
        violations.add(
            path("digital_platforms"),
            format!("at most {MAX_PLATFORMS} platforms"),
        );
    }

    match report.content_on_digital_platforms {
        Some(false) if !report.digital_platforms.is_empty() => violations.add(
            path("digital_platforms"),
            "platforms are listed only when content_on_digital_platforms is true",
        ),
        Some(true) if report.digital_platforms.is_empty() => violations.add(
            path("digital_platforms"),
            "content_on_digital_platforms is true: list the platforms",
        ),
        _ => {}
    }

    if let (Some(total), Some(digital)) = (report.revenue_vnd, report.digital_revenue_vnd)
        && digital > total
    {
        violations.add(
            path("digital_revenue_vnd"),
            format!("digital revenue ({digital}) exceeds total revenue ({total})"),
        );
    }

    for ((category, headcount), (_, trained)) in report
        .headcount
        .categories()
        .into_iter()
        .zip(report.trained.categories())
    {
        if let (Some(headcount), Some(trained)) = (headcount, trained)
            && trained > headcount
        {
            violations.add(
                path(&format!("trained.{category}")),
                format!("{trained} trained exceeds the headcount of {headcount}"),
            );
        }
    }

    if report.publishes_electronic_press == Some(true) && report.security_level.is_none() {
        violations.add(
            path("security_level"),
            "required for an agency that publishes electronic press",
        );
    }
}

fn check_against_indicator(
    report: &AnnualReport,
    indicator: &Indicator,
    field: &str,
    violations: &mut Violations,
) {
    match report.value_of(&indicator.code) {
        FieldValue::Missing | FieldValue::List(0) if indicator.required => {
            violations.add(field, format!("{} is required", indicator.name));
        }
        FieldValue::Number(value) => {
            let unit = if indicator.unit.is_empty() {
                String::new()
            } else {
                format!(" {}", indicator.unit)
            };
            if let Some(min) = indicator.min
                && value < min
            {
                violations.add(
                    field,
                    format!("{value} is below the minimum of {min}{unit}"),
                );
            }
            if let Some(max) = indicator.max
                && value > max
            {
                violations.add(
                    field,
                    format!("{value} is above the maximum of {max}{unit}"),
                );
            }
        }
        _ => {}
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::indicator::REPORT_FIELDS;

    /// Indicators for every report field: booleans and counts required, security level optional
    /// 1-5, money at least 0.
    pub(crate) fn indicators() -> Vec<Indicator> {
        REPORT_FIELDS
            .iter()
            .map(|(code, indicator_type)| Indicator {
                code: (*code).into(),
                name: (*code).into(),
                description: String::new(),
                indicator_type: *indicator_type,
                unit: String::new(),
                min: match *code {
                    "security_level" => Some(1),
                    _ if indicator_type.is_numeric() => Some(0),
                    _ => None,
                },
                max: (*code == "security_level").then_some(5),
                required: !matches!(
                    *code,
                    "security_level"
                        | "digital_platforms"
                        | "digital_radio_platform"
                        | "digital_tv_platform"
                        | "digital_products_launched"
                ),
            })
            .collect()
    }

    pub(crate) fn complete_report() -> AnnualReport {
        let staff = |n| StaffCounts {
            leaders: Some(n),
            reporters: Some(n * 4),
            editors: Some(n * 2),
            other: Some(n),
        };
        AnnualReport {
            content_on_digital_platforms: Some(true),
            digital_platforms: vec![DigitalPlatform {
                name: "Zalo".into(),
                origin: Some(PlatformOrigin::Domestic),
            }],
            central_data_platform: Some(true),
            ai_in_operations: Some(false),
            converged_newsroom: Some(true),
            newsroom_management_platform: Some(true),
            revenue_vnd: Some(12_000_000_000),
            digital_revenue_vnd: Some(3_000_000_000),
            headcount: staff(5),
            trained: staff(3),
            publishes_electronic_press: Some(true),
            security_level: Some(3),
            digital_products_launched: Some(2),
            digital_radio_platform: None,
            digital_tv_platform: None,
        }
    }

    fn violations_of(report: &AnnualReport) -> Vec<String> {
        let mut violations = Violations::new();
        check_report(report, &indicators(), "report", &mut violations);
        match violations.into_result(()) {
            Ok(()) => vec![],
            Err(found) => found.into_iter().map(|v| v.field).collect(),
        }
    }

    #[test]
    fn a_complete_report_passes() {
        assert_eq!(violations_of(&complete_report()), Vec::<String>::new());
    }

    #[test]
    fn every_broken_rule_is_reported_at_once() {
        let mut report = complete_report();
        report.converged_newsroom = None;
        report.digital_revenue_vnd = Some(13_000_000_000);
        report.trained.editors = Some(11);
        report.security_level = Some(6);
        report.content_on_digital_platforms = Some(false);
        report.headcount.other = Some(-1);
        assert_eq!(
            violations_of(&report),
            vec![
                "report.converged_newsroom",
                "report.headcount.other",
                "report.security_level",
                "report.digital_platforms",
                "report.digital_revenue_vnd",
                "report.trained.editors",
                // 3 trained "others" against a headcount of -1: also wrong.
                "report.trained.other",
            ]
        );
    }

    #[test]
    fn electronic_press_needs_a_security_level() {
        let mut report = complete_report();
        report.security_level = None;
        assert_eq!(violations_of(&report), vec!["report.security_level"]);
        report.publishes_electronic_press = Some(false);
        assert_eq!(violations_of(&report), Vec::<String>::new());
    }

    #[test]
    fn the_hash_changes_with_content_and_owner_but_not_otherwise() {
        let report = complete_report();
        let hash = report.content_hash("a", "2025");
        assert!(hash.starts_with("sha256:") && hash.len() == 7 + 64);
        assert_eq!(hash, complete_report().content_hash("a", "2025"));
        assert_ne!(hash, report.content_hash("b", "2025"));
        let mut changed = complete_report();
        changed.revenue_vnd = Some(12_000_000_001);
        assert_ne!(hash, changed.content_hash("a", "2025"));
    }

    /// A report whose hash was worked out outside pressdx, from the words of
    /// pressdx.v1.SubmissionReceipt.content_hash (Python's `json.dumps(document, sort_keys=True,
    /// separators=(",", ":"), ensure_ascii=False)`, then SHA-256): if this fails, every stored
    /// hash and every integrator's recomputation has been broken.
    #[test]
    fn the_hash_of_a_known_report_is_pinned() {
        let staff = |leaders, reporters, editors, other| StaffCounts {
            leaders,
            reporters,
            editors,
            other,
        };
        let report = AnnualReport {
            content_on_digital_platforms: Some(true),
            digital_platforms: vec![
                DigitalPlatform {
                    name: "Báo Mới \"app\"".into(),
                    origin: Some(PlatformOrigin::Domestic),
                },
                DigitalPlatform {
                    name: "YouTube".into(),
                    origin: Some(PlatformOrigin::Foreign),
                },
            ],
            central_data_platform: Some(true),
            ai_in_operations: Some(false),
            converged_newsroom: None,
            newsroom_management_platform: None,
            // Beyond 2^53: exact, not rounded as a double would be.
            revenue_vnd: Some(9_007_199_254_740_993),
            digital_revenue_vnd: Some(0),
            headcount: staff(Some(5), Some(20), Some(10), Some(5)),
            trained: staff(Some(5), Some(0), None, None),
            publishes_electronic_press: Some(true),
            security_level: Some(3),
            digital_products_launched: None,
            digital_radio_platform: None,
            digital_tv_platform: None,
        };
        assert_eq!(
            report.to_stored_json(),
            r#"{"ai_in_operations":false,"central_data_platform":true,"content_on_digital_platforms":true,"digital_platforms":[{"name":"Báo Mới \"app\"","origin":"domestic"},{"name":"YouTube","origin":"foreign"}],"digital_revenue_vnd":0,"headcount":{"editors":10,"leaders":5,"other":5,"reporters":20},"publishes_electronic_press":true,"revenue_vnd":9007199254740993,"security_level":3,"trained":{"leaders":5,"reporters":0}}"#
        );
        assert_eq!(
            report.content_hash("bao-nam-dinh", "2024"),
            "sha256:72535bfbdd09673d1ccfc0caf027be8c2299c0a19c0e6385aa1492752248973b"
        );
    }

    /// Next year's report, with an indicator this one does not have: the shape a report takes once
    /// the Ministry adds one. Only what serialising needs.
    #[derive(Serialize)]
    struct NextYearsReport<'a> {
        #[serde(flatten)]
        report: &'a AnnualReport,
        podcasts_launched: Option<i64>,
        podcast_platforms: Vec<DigitalPlatform>,
    }

    #[test]
    fn an_indicator_added_later_leaves_the_hashes_and_stored_form_of_earlier_reports_alone() {
        let report = complete_report();
        let extended = NextYearsReport {
            report: &report,
            podcasts_launched: None,
            podcast_platforms: Vec::new(),
        };
        assert_eq!(to_canonical_json(&extended), report.to_stored_json());
        // So a retry of an old request id replays, and `audit verify` recomputes the old hash.
        assert_eq!(
            content_hash_of("a", "2025", &extended),
            report.content_hash("a", "2025")
        );
        // The stored form leaves out what was not answered, and reads back whole: a report type
        // with one more optional field reads it back with that field unset.
        let read_back: AnnualReport = serde_json::from_str(&report.to_stored_json()).unwrap();
        assert_eq!(read_back, report);
        // Answered, the new indicator is part of the content.
        let answered = NextYearsReport {
            podcasts_launched: Some(2),
            ..extended
        };
        assert_ne!(to_canonical_json(&answered), report.to_stored_json());
    }
}
