//! The maturity index of press digital transformation (Bộ chỉ số đánh giá, đo lường mức độ trưởng
//! thành chuyển đổi số báo chí) as versioned catalogue data: each framework the Ministry issued
//! (951/QĐ-BTTTT, 1827/QĐ-BTTTT, 3560/QĐ-BVHTTDL...), its pillars, component indices, criteria and
//! how each is scored, its maturity levels and the blocks agencies are ranked in. The index
//! changes every year or two, so none of it is a constant in code: a new decision is a new
//! `[[maturity_framework]]` in the catalogue file, read by src/catalog_file/maturity.rs.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::formats::{self, Sign};
use super::organization::AgencyType;

/// A number of points, in hundredths of a point, so that half points add up exactly.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Points(u32);

impl Points {
    pub const ZERO: Points = Points(0);

    pub fn from_hundredths(hundredths: u32) -> Points {
        Points(hundredths)
    }

    pub fn whole(points: u32) -> Points {
        Points(points.saturating_mul(100))
    }

    pub fn hundredths(self) -> u32 {
        self.0
    }
}

impl std::iter::Sum for Points {
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        Points(iter.map(|points| points.0).fold(0, u32::saturating_add))
    }
}

impl fmt::Display for Points {
    /// "18", "0.5", "1.25".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Hundredths(i64::from(self.0)))
    }
}

/// A decimal with at most two places, held as hundredths: the bounds of numeric bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Hundredths(pub i64);

impl fmt::Display for Hundredths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        let (whole, fraction) = (magnitude / 100, magnitude % 100);
        match fraction {
            0 => write!(f, "{sign}{whole}"),
            _ if fraction % 10 == 0 => write!(f, "{sign}{whole}.{}", fraction / 10),
            _ => write!(f, "{sign}{whole}.{fraction:02}"),
        }
    }
}

impl Hundredths {
    /// A decimal written with at most two places ("72.5", "-10", "0.25"), as the catalogue file
    /// writes bounds and a client writes a numeric answer or an appraisal's points, in the one
    /// format of numbers ([`formats::parse_decimal`]).
    pub fn parse_decimal(text: &str) -> Option<Hundredths> {
        formats::parse_decimal(text, 2, Sign::Signed).map(Hundredths)
    }
}

/// One version of the index, as one decision issued it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Framework {
    /// Such as "V2024".
    pub code: String,
    pub name: String,
    /// The decision that issued it, such as "1827/QĐ-BTTTT".
    pub decision: String,
    pub issued_on: Option<NaiveDate>,
    /// The body that issued it.
    pub issuer: String,
    /// The codes of the catalogue periods whose assessment it governs, in period order. A period
    /// is governed by at most one framework.
    pub periods: Vec<String>,
    /// The framework's total: its pillars' points add up to it.
    pub points: Points,
    pub pillars: Vec<Pillar>,
    pub components: Vec<Component>,
    pub criteria: Vec<Criterion>,
    /// Sorted by cut-off, the lowest (starting at 0) first.
    pub levels: Vec<Level>,
    pub blocks: Vec<Block>,
    /// True when facts about the framework itself (such as the periods it governs) are inferred.
    pub illustrative: bool,
    pub note: String,
}

/// A pillar (trụ cột): a share of the framework's points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pillar {
    /// Such as "P2".
    pub code: String,
    pub name: String,
    /// Its criteria's points add up to it.
    pub points: Points,
    pub illustrative: bool,
    pub note: String,
}

/// A component index (chỉ số thành phần) inside one pillar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// Such as "P2.C1".
    pub code: String,
    pub pillar: String,
    pub name: String,
    /// Its cap, where the decision states one: its criteria's points then add up to it.
    pub points: Option<Points>,
    pub illustrative: bool,
    pub note: String,
}

/// A criterion (tiêu chí): what an agency answers and how the answer becomes points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    /// Such as "P2.C1.3".
    pub code: String,
    pub component: String,
    pub label: String,
    /// The most it can score; its scoring reaches exactly this for the best answer.
    pub points: Points,
    pub scoring: Scoring,
    pub illustrative: bool,
    pub note: String,
}

/// How a criterion's answer becomes points. An unanswered criterion scores 0 whatever its
/// scoring (the 2024 results release: missing data "may be assigned zero").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Scoring {
    /// Yes scores the criterion's points, no scores 0.
    YesNo,
    /// The answer is one of the choices and scores that choice's points.
    Graded { choices: Vec<Choice> },
    /// The answer is a number and scores the points of the band it falls in; bands are sorted,
    /// contiguous, and the last is open-ended. A number below the first band is out of range.
    NumericBands { unit: String, bands: Vec<Band> },
}

impl Scoring {
    pub const KINDS: &'static [&'static str] = &["yes_no", "graded", "numeric_bands"];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub code: String,
    pub label: String,
    pub points: Points,
}

/// Numbers from `from` (inclusive) to `until` (exclusive; none: no upper bound).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Band {
    pub from: Hundredths,
    pub until: Option<Hundredths>,
    pub points: Points,
}

/// An answer to one criterion, as a self-assessment gives it (`assessment.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    YesNo(bool),
    Choice(String),
    Number(Hundredths),
}

/// A maturity level (mức độ trưởng thành) and its cut-off: the lowest total that reaches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    /// 1 (weakest) to 5 in every version so far.
    pub rank: u32,
    /// Such as "Yếu", "Xuất sắc".
    pub name: String,
    /// Inclusive lower bound: a total at or above it (and below the next level's) is this level.
    pub from: Points,
    pub illustrative: bool,
    pub note: String,
}

/// A block (khối) agencies are ranked in, and the agency types that fall in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub code: String,
    pub name: String,
    pub agency_types: Vec<AgencyType>,
    pub illustrative: bool,
    pub note: String,
}

impl Framework {
    /// The level a total reaches: the last level whose cut-off is at or below it.
    pub fn level_for(&self, total: Points) -> Option<&Level> {
        self.levels.iter().rev().find(|level| level.from <= total)
    }

    /// The block an agency of this type is ranked in.
    pub fn block_for(&self, agency_type: AgencyType) -> Option<&Block> {
        self.blocks
            .iter()
            .find(|block| block.agency_types.contains(&agency_type))
    }

    pub fn pillar_of(&self, criterion: &Criterion) -> Option<&Pillar> {
        let component = self
            .components
            .iter()
            .find(|component| component.code == criterion.component)?;
        self.pillars
            .iter()
            .find(|pillar| pillar.code == component.pillar)
    }

    /// The criteria of one pillar, in the framework's order.
    pub fn criteria_of_pillar<'a>(
        &'a self,
        pillar: &'a str,
    ) -> impl Iterator<Item = &'a Criterion> {
        self.criteria.iter().filter(move |criterion| {
            self.pillar_of(criterion)
                .is_some_and(|found| found.code == pillar)
        })
    }
}

impl Criterion {
    /// The points an answer scores; `None` when the answer does not fit the criterion's scoring
    /// (another kind, an unknown choice, a number below the first band).
    pub fn points_for(&self, answer: &Answer) -> Option<Points> {
        match (&self.scoring, answer) {
            (Scoring::YesNo, Answer::YesNo(yes)) => {
                Some(if *yes { self.points } else { Points::ZERO })
            }
            (Scoring::Graded { choices }, Answer::Choice(code)) => choices
                .iter()
                .find(|choice| &choice.code == code)
                .map(|choice| choice.points),
            (Scoring::NumericBands { bands, .. }, Answer::Number(number)) => bands
                .iter()
                .find(|band| band.from <= *number && band.until.is_none_or(|until| *number < until))
                .map(|band| band.points),
            _ => None,
        }
    }
}

/// The framework that governs a period, if any.
pub fn framework_for_period<'a>(
    frameworks: &'a [Framework],
    period: &str,
) -> Option<&'a Framework> {
    frameworks
        .iter()
        .find(|framework| framework.periods.iter().any(|code| code == period))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog_file::{self, CatalogError, DEFAULT_CATALOG};

    fn shipped() -> Vec<Framework> {
        match catalog_file::parse(DEFAULT_CATALOG) {
            Ok(catalog) => catalog.maturity_frameworks,
            Err(CatalogError::Invalid(violations)) => panic!(
                "{}",
                violations
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            Err(other) => panic!("{other}"),
        }
    }

    fn framework<'a>(frameworks: &'a [Framework], code: &str) -> &'a Framework {
        frameworks
            .iter()
            .find(|framework| framework.code == code)
            .unwrap_or_else(|| panic!("no framework {code}"))
    }

    #[test]
    fn the_shipped_frameworks_hold_what_is_known() {
        let frameworks = shipped();
        let codes: Vec<_> = frameworks.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["V2023", "V2024", "V2025"]);
        for (code, decision, period, criteria) in [
            ("V2023", "951/QĐ-BTTTT", "2023", 42),
            ("V2024", "1827/QĐ-BTTTT", "2024", 43),
            ("V2025", "3560/QĐ-BVHTTDL", "2025", 43),
        ] {
            let framework = framework(&frameworks, code);
            assert_eq!(framework.decision, decision);
            assert_eq!(framework.periods, [period]);
            assert_eq!(framework_for_period(&frameworks, period), Some(framework));
            assert_eq!(framework.points, Points::whole(100));
            let pillars: Vec<_> = framework
                .pillars
                .iter()
                .map(|pillar| (pillar.code.as_str(), pillar.points.hundredths() / 100))
                .collect();
            assert_eq!(
                pillars,
                [("P1", 18), ("P2", 24), ("P3", 20), ("P4", 23), ("P5", 15)]
            );
            assert_eq!(framework.components.len(), 10);
            assert_eq!(framework.criteria.len(), criteria);
            // Nothing below pillar level is known: every row there must say so.
            assert!(framework.components.iter().all(|c| c.illustrative));
            assert!(framework.criteria.iter().all(|c| c.illustrative));
            let level_names: Vec<_> = framework.levels.iter().map(|l| l.name.as_str()).collect();
            assert_eq!(level_names, ["Yếu", "Trung bình", "Khá", "Tốt", "Xuất sắc"]);
        }
        let v2023 = framework(&frameworks, "V2023");
        assert_eq!(v2023.criteria_of_pillar("P2").count(), 19);
        assert!(!v2023.illustrative && v2023.pillars.iter().all(|p| !p.illustrative));
        assert_eq!(v2023.blocks.len(), 4);
        let v2024 = framework(&frameworks, "V2024");
        assert_eq!(v2024.blocks.len(), 5);
        let v2025 = framework(&frameworks, "V2025");
        assert!(v2025.illustrative && v2025.pillars.iter().all(|p| p.illustrative));
        assert!(v2025.levels.iter().all(|l| l.illustrative));
        assert_eq!(framework_for_period(&frameworks, "2026"), None);
    }

    #[test]
    fn a_level_cut_off_is_an_inclusive_lower_bound() {
        let frameworks = shipped();
        let v2024 = framework(&frameworks, "V2024");
        let rank = |hundredths| {
            v2024
                .level_for(Points::from_hundredths(hundredths))
                .map(|level| level.rank)
        };
        assert_eq!(rank(0), Some(1));
        assert_eq!(rank(4999), Some(1));
        assert_eq!(rank(5000), Some(2));
        assert_eq!(rank(8999), Some(4));
        assert_eq!(rank(9000), Some(5));
        assert_eq!(rank(10000), Some(5));
        let v2023 = framework(&frameworks, "V2023");
        assert_eq!(
            v2023.level_for(Points::whole(80)).map(|level| level.rank),
            Some(5)
        );
        assert_eq!(
            v2024
                .block_for(AgencyType::Magazine)
                .map(|block| block.code.as_str()),
            Some("magazines")
        );
    }

    #[test]
    fn each_scoring_kind_maps_an_answer_to_points() {
        let criterion = |points: u32, scoring: Scoring| Criterion {
            code: "P1.C1.1".into(),
            component: "P1.C1".into(),
            label: "x".into(),
            points: Points::whole(points),
            scoring,
            illustrative: false,
            note: String::new(),
        };
        let yes_no = criterion(3, Scoring::YesNo);
        assert_eq!(
            yes_no.points_for(&Answer::YesNo(true)),
            Some(Points::whole(3))
        );
        assert_eq!(yes_no.points_for(&Answer::YesNo(false)), Some(Points::ZERO));
        assert_eq!(yes_no.points_for(&Answer::Number(Hundredths(100))), None);

        let graded = criterion(
            2,
            Scoring::Graded {
                choices: vec![
                    Choice {
                        code: "none".into(),
                        label: String::new(),
                        points: Points::ZERO,
                    },
                    Choice {
                        code: "some".into(),
                        label: String::new(),
                        points: Points::from_hundredths(50),
                    },
                    Choice {
                        code: "all".into(),
                        label: String::new(),
                        points: Points::whole(2),
                    },
                ],
            },
        );
        assert_eq!(
            graded.points_for(&Answer::Choice("some".into())),
            Some(Points::from_hundredths(50))
        );
        assert_eq!(graded.points_for(&Answer::Choice("most".into())), None);

        let bands = criterion(
            2,
            Scoring::NumericBands {
                unit: "%".into(),
                bands: vec![
                    Band {
                        from: Hundredths(0),
                        until: Some(Hundredths(4000)),
                        points: Points::ZERO,
                    },
                    Band {
                        from: Hundredths(4000),
                        until: Some(Hundredths(7000)),
                        points: Points::whole(1),
                    },
                    Band {
                        from: Hundredths(7000),
                        until: None,
                        points: Points::whole(2),
                    },
                ],
            },
        );
        let score = |hundredths| bands.points_for(&Answer::Number(Hundredths(hundredths)));
        assert_eq!(score(-1), None);
        assert_eq!(score(0), Some(Points::ZERO));
        assert_eq!(score(3999), Some(Points::ZERO));
        assert_eq!(score(4000), Some(Points::whole(1)));
        assert_eq!(score(7000), Some(Points::whole(2)));
        assert_eq!(score(1_000_000), Some(Points::whole(2)));
    }

    #[test]
    fn points_print_as_decimals() {
        assert_eq!(Points::whole(18).to_string(), "18");
        assert_eq!(Points::from_hundredths(50).to_string(), "0.5");
        assert_eq!(Points::from_hundredths(125).to_string(), "1.25");
        assert_eq!(Hundredths(-1050).to_string(), "-10.5");
    }

    #[test]
    fn decimals_parse_to_hundredths_exactly() {
        for (text, expected) in [
            ("72.5", Some(7250)),
            ("72.50", Some(7250)),
            ("0.05", Some(5)),
            (" 0.05 ", None),
            ("-10", Some(-1000)),
            ("40", Some(4000)),
            ("1.234", None),
            ("", None),
            (".5", None),
            ("5.", None),
            ("+1", None),
            ("1e3", None),
            ("99999999999999999999", None),
        ] {
            assert_eq!(
                Hundredths::parse_decimal(text).map(|parsed| parsed.0),
                expected,
                "{text:?}"
            );
        }
    }
}
