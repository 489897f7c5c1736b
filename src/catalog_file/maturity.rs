//! `[[maturity_framework]]`: the versions of the maturity index, each with its pillars, component
//! indices, criteria and how each is scored, its levels and its blocks.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::check_codes;
use crate::domain::formats;
use crate::domain::limits::MAX_CRITERIA;
use crate::domain::maturity::{
    Band, Block, Choice, Component, Criterion, Framework, Hundredths, Level, Pillar, Points,
    Scoring,
};
use crate::domain::organization::AgencyType;
use crate::domain::period::Period;
use crate::domain::violation::Violations;

/// `[[maturity_framework]]` of the catalogue file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FrameworkEntry {
    code: String,
    name: String,
    #[serde(default)]
    decision: String,
    issued_on: Option<String>,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    periods: Vec<String>,
    points: toml::Value,
    #[serde(default)]
    pillar: Vec<PillarEntry>,
    #[serde(default)]
    component: Vec<ComponentEntry>,
    #[serde(default)]
    criterion: Vec<CriterionEntry>,
    #[serde(default)]
    level: Vec<LevelEntry>,
    #[serde(default)]
    block: Vec<BlockEntry>,
    #[serde(default)]
    illustrative: bool,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PillarEntry {
    code: String,
    name: String,
    points: toml::Value,
    #[serde(default)]
    illustrative: bool,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ComponentEntry {
    code: String,
    pillar: String,
    name: String,
    points: Option<toml::Value>,
    #[serde(default)]
    illustrative: bool,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CriterionEntry {
    code: String,
    component: String,
    label: String,
    points: toml::Value,
    scoring: String,
    choices: Option<Vec<ChoiceEntry>>,
    unit: Option<String>,
    bands: Option<Vec<BandEntry>>,
    #[serde(default)]
    illustrative: bool,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChoiceEntry {
    code: String,
    #[serde(default)]
    label: String,
    points: toml::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BandEntry {
    from: toml::Value,
    until: Option<toml::Value>,
    points: toml::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LevelEntry {
    rank: u32,
    name: String,
    from: toml::Value,
    #[serde(default)]
    illustrative: bool,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockEntry {
    code: String,
    name: String,
    agency_types: Vec<String>,
    #[serde(default)]
    illustrative: bool,
    #[serde(default)]
    note: String,
}

/// A decimal with at most two places, as hundredths: a TOML integer (`18`) or a string (`"0.5"`,
/// `"-10"`). TOML floats are refused: 0.1 has no exact binary form, and points must add up exactly.
fn hundredths(value: &toml::Value) -> Option<i64> {
    match value {
        toml::Value::Integer(whole) => whole.checked_mul(100),
        toml::Value::String(text) => Hundredths::parse_decimal(text).map(|parsed| parsed.0),
        _ => None,
    }
}

const DECIMAL: &str = "a whole number (18) or a string with at most two decimals (\"0.5\")";

/// Points: not negative, at most two decimals.
fn parse_points(value: &toml::Value, field: &str, violations: &mut Violations) -> Option<Points> {
    match hundredths(value).map(u32::try_from) {
        Some(Ok(hundredths)) => Some(Points::from_hundredths(hundredths)),
        _ => {
            violations.add(field, format!("points are {DECIMAL}, not negative"));
            None
        }
    }
}

fn parse_bound(
    value: &toml::Value,
    field: &str,
    violations: &mut Violations,
) -> Option<Hundredths> {
    let parsed = hundredths(value).map(Hundredths);
    if parsed.is_none() {
        violations.add(field, format!("a bound is {DECIMAL}"));
    }
    parsed
}

fn require_text(text: &str, field: String, violations: &mut Violations) {
    if text.trim().is_empty() {
        violations.add(field, "required");
    }
}

/// Checks every framework and the frameworks together: codes unique, every reference resolves,
/// points add up, levels and bands sound, no period governed twice.
pub(super) fn check_frameworks(
    entries: &[FrameworkEntry],
    periods: &[Period],
    violations: &mut Violations,
) -> Vec<Framework> {
    let located = |index: usize, entry: &FrameworkEntry| {
        format!("maturity_framework[{index}] {:?}", entry.code)
    };
    check_codes(
        entries
            .iter()
            .enumerate()
            .map(|(index, entry)| (located(index, entry), entry.code.as_str())),
        violations,
    );
    // The framework each period is governed by, to find a period claimed twice.
    let mut governed_by: HashMap<&str, &str> = HashMap::new();
    let mut frameworks = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = located(index, entry);
        for (position, code) in entry.periods.iter().enumerate() {
            let field = format!("{at}.periods[{position}]");
            if !periods.iter().any(|period| &period.code == code) {
                violations.add(field, format!("no period {code:?} in the catalogue"));
            } else if let Some(other) = governed_by.insert(code.as_str(), entry.code.as_str()) {
                violations.add(
                    field,
                    if other == entry.code {
                        format!("period {code:?} is listed twice")
                    } else {
                        format!(
                            "period {code:?} is already governed by framework {other:?}: a period \
                             has at most one framework"
                        )
                    },
                );
            }
        }
        if let Some(framework) = check_framework(entry, &at, periods, violations) {
            frameworks.push(framework);
        }
    }
    frameworks
}

fn check_framework(
    entry: &FrameworkEntry,
    at: &str,
    periods: &[Period],
    violations: &mut Violations,
) -> Option<Framework> {
    let before = violations.len();
    require_text(&entry.name, format!("{at}.name"), violations);
    let issued_on = entry.issued_on.as_deref().and_then(|text| {
        formats::parse_date(text)
            .map_err(|why| violations.add(format!("{at}.issued_on"), why))
            .ok()
    });
    let points = parse_points(&entry.points, &format!("{at}.points"), violations);

    let pillars = check_pillars(entry, at, points, violations);
    let components = check_components(entry, at, &pillars, violations);
    let criteria = check_criteria(entry, at, &components, violations);
    check_sums(at, &pillars, &components, &criteria, violations);
    let levels = check_levels(entry, at, points, violations);
    let blocks = check_blocks(entry, at, violations);

    // Periods in the catalogue's order (by window), whatever the file's order.
    let mut governed: Vec<String> = periods
        .iter()
        .filter(|period| entry.periods.contains(&period.code))
        .map(|period| period.code.clone())
        .collect();
    governed.dedup();
    if violations.len() > before {
        return None;
    }
    Some(Framework {
        code: entry.code.clone(),
        name: entry.name.clone(),
        decision: entry.decision.clone(),
        issued_on,
        issuer: entry.issuer.clone(),
        periods: governed,
        points: points?,
        pillars,
        components,
        criteria,
        levels,
        blocks,
        illustrative: entry.illustrative,
        note: entry.note.clone(),
    })
}

fn check_pillars(
    entry: &FrameworkEntry,
    at: &str,
    total: Option<Points>,
    violations: &mut Violations,
) -> Vec<Pillar> {
    let located =
        |index: usize, pillar: &PillarEntry| format!("{at}.pillar[{index}] {:?}", pillar.code);
    check_codes(
        entry
            .pillar
            .iter()
            .enumerate()
            .map(|(index, pillar)| (located(index, pillar), pillar.code.as_str())),
        violations,
    );
    if entry.pillar.is_empty() {
        violations.add(
            format!("{at}.pillar"),
            "a framework has at least one pillar",
        );
    }
    let mut pillars = Vec::new();
    for (index, pillar) in entry.pillar.iter().enumerate() {
        let here = located(index, pillar);
        require_text(&pillar.name, format!("{here}.name"), violations);
        if let Some(points) = parse_points(&pillar.points, &format!("{here}.points"), violations) {
            pillars.push(Pillar {
                code: pillar.code.clone(),
                name: pillar.name.clone(),
                points,
                illustrative: pillar.illustrative,
                note: pillar.note.clone(),
            });
        }
    }
    if let Some(total) = total
        && pillars.len() == entry.pillar.len()
    {
        let sum: Points = pillars.iter().map(|pillar| pillar.points).sum();
        if sum != total {
            violations.add(
                format!("{at}.points"),
                format!("the pillars' points add up to {sum}, not to the framework's {total}"),
            );
        }
    }
    pillars
}

fn check_components(
    entry: &FrameworkEntry,
    at: &str,
    pillars: &[Pillar],
    violations: &mut Violations,
) -> Vec<Component> {
    let located = |index: usize, component: &ComponentEntry| {
        format!("{at}.component[{index}] {:?}", component.code)
    };
    check_codes(
        entry
            .component
            .iter()
            .enumerate()
            .map(|(index, component)| (located(index, component), component.code.as_str())),
        violations,
    );
    let mut components = Vec::new();
    for (index, component) in entry.component.iter().enumerate() {
        let here = located(index, component);
        require_text(&component.name, format!("{here}.name"), violations);
        if !entry
            .pillar
            .iter()
            .any(|pillar| pillar.code == component.pillar)
        {
            violations.add(
                format!("{here}.pillar"),
                format!("the framework has no pillar {:?}", component.pillar),
            );
        }
        let points = component
            .points
            .as_ref()
            .map(|value| parse_points(value, &format!("{here}.points"), violations));
        components.push(Component {
            code: component.code.clone(),
            pillar: component.pillar.clone(),
            name: component.name.clone(),
            points: points.flatten(),
            illustrative: component.illustrative,
            note: component.note.clone(),
        });
    }
    for (index, pillar) in entry.pillar.iter().enumerate() {
        if !pillars.is_empty() && !entry.component.iter().any(|c| c.pillar == pillar.code) {
            violations.add(
                format!("{at}.pillar[{index}] {:?}", pillar.code),
                "the pillar has no component index",
            );
        }
    }
    components
}

fn check_criteria(
    entry: &FrameworkEntry,
    at: &str,
    components: &[Component],
    violations: &mut Violations,
) -> Vec<Criterion> {
    let located = |index: usize, criterion: &CriterionEntry| {
        format!("{at}.criterion[{index}] {:?}", criterion.code)
    };
    check_codes(
        entry
            .criterion
            .iter()
            .enumerate()
            .map(|(index, criterion)| (located(index, criterion), criterion.code.as_str())),
        violations,
    );
    // A self-assessment answers at most this many criteria (maturity.proto).
    if entry.criterion.len() > MAX_CRITERIA {
        violations.add(
            format!("{at}.criterion"),
            format!("at most {MAX_CRITERIA} criteria"),
        );
    }
    let mut criteria = Vec::new();
    for (index, criterion) in entry.criterion.iter().enumerate() {
        let here = located(index, criterion);
        require_text(&criterion.label, format!("{here}.label"), violations);
        if !entry
            .component
            .iter()
            .any(|c| c.code == criterion.component)
        {
            violations.add(
                format!("{here}.component"),
                format!(
                    "the framework has no component index {:?}",
                    criterion.component
                ),
            );
        }
        let points = parse_points(&criterion.points, &format!("{here}.points"), violations);
        let scoring = check_scoring(criterion, &here, points, violations);
        if let (Some(points), Some(scoring)) = (points, scoring) {
            criteria.push(Criterion {
                code: criterion.code.clone(),
                component: criterion.component.clone(),
                label: criterion.label.clone(),
                points,
                scoring,
                illustrative: criterion.illustrative,
                note: criterion.note.clone(),
            });
        }
    }
    for (index, component) in components.iter().enumerate() {
        if !entry
            .criterion
            .iter()
            .any(|c| c.component == component.code)
        {
            violations.add(
                format!("{at}.component[{index}] {:?}", component.code),
                "the component index has no criterion",
            );
        }
    }
    criteria
}

/// Checks a criterion's scoring: the parameters its kind reads and no others, no answer worth
/// more than the criterion, the best answer worth exactly the criterion (or the maximum could
/// never be reached), choices unique, bands sorted and contiguous.
fn check_scoring(
    criterion: &CriterionEntry,
    at: &str,
    max: Option<Points>,
    violations: &mut Violations,
) -> Option<Scoring> {
    let given = [
        ("choices", criterion.choices.is_some()),
        ("unit", criterion.unit.is_some()),
        ("bands", criterion.bands.is_some()),
    ];
    let reads: &[&str] = match criterion.scoring.as_str() {
        "yes_no" => &[],
        "graded" => &["choices"],
        "numeric_bands" => &["unit", "bands"],
        other => {
            violations.add(
                format!("{at}.scoring"),
                format!("{other:?} is not one of: {}", Scoring::KINDS.join(", ")),
            );
            return None;
        }
    };
    for (parameter, present) in given {
        if present && !reads.contains(&parameter) {
            violations.add(
                format!("{at}.{parameter}"),
                format!("a {} criterion has no {parameter}", criterion.scoring),
            );
        }
    }
    // Each answer's worth, checked against the criterion's maximum.
    let check_worth = |worth: &[Option<Points>], field: &str, violations: &mut Violations| {
        let Some(max) = max else { return };
        for (index, points) in worth.iter().enumerate() {
            if let Some(points) = points
                && *points > max
            {
                violations.add(
                    format!("{at}.{field}[{index}].points"),
                    format!("{points} is more than the criterion's {max} points"),
                );
            }
        }
        let best = worth.iter().flatten().max();
        if worth.iter().all(Option::is_some) && best.is_some_and(|best| *best < max) {
            violations.add(
                format!("{at}.{field}"),
                format!(
                    "the best answer scores {}, so the criterion's {max} points can never be reached",
                    best.copied().unwrap_or_default()
                ),
            );
        }
    };
    match criterion.scoring.as_str() {
        "yes_no" => Some(Scoring::YesNo),
        "graded" => {
            let entries = criterion.choices.as_deref().unwrap_or_default();
            if entries.len() < 2 {
                violations.add(
                    format!("{at}.choices"),
                    "a graded criterion has at least two choices",
                );
            }
            check_codes(
                entries.iter().enumerate().map(|(index, choice)| {
                    (format!("{at}.choices[{index}]"), choice.code.as_str())
                }),
                violations,
            );
            let worth: Vec<_> = entries
                .iter()
                .enumerate()
                .map(|(index, choice)| {
                    parse_points(
                        &choice.points,
                        &format!("{at}.choices[{index}].points"),
                        violations,
                    )
                })
                .collect();
            check_worth(&worth, "choices", violations);
            let choices = entries
                .iter()
                .zip(worth)
                .map(|(choice, points)| {
                    Some(Choice {
                        code: choice.code.clone(),
                        label: choice.label.clone(),
                        points: points?,
                    })
                })
                .collect::<Option<Vec<_>>>()?;
            Some(Scoring::Graded { choices })
        }
        _ => {
            let entries = criterion.bands.as_deref().unwrap_or_default();
            if entries.is_empty() {
                violations.add(
                    format!("{at}.bands"),
                    "a numeric_bands criterion has at least one band",
                );
            }
            let mut bands = Vec::new();
            let mut worth = Vec::new();
            for (index, band) in entries.iter().enumerate() {
                let here = format!("{at}.bands[{index}]");
                let from = parse_bound(&band.from, &format!("{here}.from"), violations);
                // None: not parsed; Some(None): open-ended.
                let until = match &band.until {
                    None => Some(None),
                    Some(until) => {
                        parse_bound(until, &format!("{here}.until"), violations).map(Some)
                    }
                };
                let points = parse_points(&band.points, &format!("{here}.points"), violations);
                worth.push(points);
                if let (Some(from), Some(Some(until))) = (from, until)
                    && until <= from
                {
                    violations.add(
                        format!("{here}.until"),
                        format!("the band ends ({until}) at or before it starts ({from})"),
                    );
                }
                if let (Some(from), Some(until), Some(points)) = (from, until, points) {
                    bands.push(Band {
                        from,
                        until,
                        points,
                    });
                }
            }
            check_worth(&worth, "bands", violations);
            if bands.len() != entries.len() {
                return None;
            }
            // Each band must start where the previous one ends: an overlap scores one number
            // twice, a gap not at all.
            for (index, pair) in bands.windows(2).enumerate() {
                let (previous, band) = (&pair[0], &pair[1]);
                let field = format!("{at}.bands[{}].from", index + 1);
                match previous.until {
                    None => violations.add(
                        format!("{at}.bands[{index}].until"),
                        "only the last band is open-ended",
                    ),
                    Some(until) if band.from < until => violations.add(
                        field,
                        format!("overlaps the band before, which runs until {until}"),
                    ),
                    Some(until) if band.from > until => violations.add(
                        field,
                        format!(
                            "leaves a gap: the band before ends at {until}, this one starts at {}",
                            band.from
                        ),
                    ),
                    Some(_) => {}
                }
            }
            if let Some(last) = bands.last()
                && last.until.is_some()
            {
                violations.add(
                    format!("{at}.bands[{}].until", bands.len() - 1),
                    "the last band is open-ended (no until): every number above the first band scores",
                );
            }
            Some(Scoring::NumericBands {
                unit: criterion.unit.clone().unwrap_or_default(),
                bands,
            })
        }
    }
}

/// A pillar's criteria add up to its points; a component index's, where it states points, to its.
fn check_sums(
    at: &str,
    pillars: &[Pillar],
    components: &[Component],
    criteria: &[Criterion],
    violations: &mut Violations,
) {
    let mut by_component: BTreeMap<&str, (Points, usize)> = BTreeMap::new();
    for criterion in criteria {
        let entry = by_component
            .entry(criterion.component.as_str())
            .or_insert((Points::ZERO, 0));
        entry.0 = Points::from_hundredths(
            entry
                .0
                .hundredths()
                .saturating_add(criterion.points.hundredths()),
        );
        entry.1 += 1;
    }
    for (index, pillar) in pillars.iter().enumerate() {
        let (sum, count) = components
            .iter()
            .filter(|component| component.pillar == pillar.code)
            .filter_map(|component| by_component.get(component.code.as_str()))
            .fold((Points::ZERO, 0), |(sum, count), (points, n)| {
                (
                    Points::from_hundredths(sum.hundredths().saturating_add(points.hundredths())),
                    count + n,
                )
            });
        if count > 0 && sum != pillar.points {
            violations.add(
                format!("{at}.pillar[{index}] {:?}.points", pillar.code),
                format!(
                    "its {count} criteria's points add up to {sum}, not to the pillar's {}",
                    pillar.points
                ),
            );
        }
    }
    for (index, component) in components.iter().enumerate() {
        if let Some(points) = component.points
            && let Some((sum, count)) = by_component.get(component.code.as_str())
            && *sum != points
        {
            violations.add(
                format!("{at}.component[{index}] {:?}.points", component.code),
                format!(
                    "its {count} criteria's points add up to {sum}, not to the component's {points}"
                ),
            );
        }
    }
}

/// Levels: ranks 1, 2, 3... in order, cut-offs strictly rising from 0 and within the total.
fn check_levels(
    entry: &FrameworkEntry,
    at: &str,
    total: Option<Points>,
    violations: &mut Violations,
) -> Vec<Level> {
    if entry.level.is_empty() {
        violations.add(format!("{at}.level"), "a framework has at least one level");
    }
    let mut levels = Vec::new();
    let mut previous: Option<Points> = None;
    for (index, level) in entry.level.iter().enumerate() {
        let here = format!("{at}.level[{index}]");
        require_text(&level.name, format!("{here}.name"), violations);
        let expected_rank = u32::try_from(index + 1).unwrap_or(u32::MAX);
        if level.rank != expected_rank {
            violations.add(
                format!("{here}.rank"),
                format!(
                    "levels are listed weakest first, ranked 1, 2, 3...: expected {expected_rank}"
                ),
            );
        }
        let Some(from) = parse_points(&level.from, &format!("{here}.from"), violations) else {
            continue;
        };
        if index == 0 && from != Points::ZERO {
            violations.add(
                format!("{here}.from"),
                format!("the weakest level starts at 0, not {from}: every total has a level"),
            );
        }
        if let Some(previous) = previous
            && from <= previous
        {
            violations.add(
                format!("{here}.from"),
                format!(
                    "cut-offs rise strictly, weakest level first: {from} is not above the previous \
                     level's {previous}"
                ),
            );
        }
        if let Some(total) = total
            && from > total
        {
            violations.add(
                format!("{here}.from"),
                format!("{from} is above the framework's {total} points: no total reaches it"),
            );
        }
        previous = Some(from);
        levels.push(Level {
            rank: level.rank,
            name: level.name.clone(),
            from,
            illustrative: level.illustrative,
            note: level.note.clone(),
        });
    }
    levels
}

/// Blocks: codes unique, and every agency type in exactly one block, so that every agency is
/// ranked somewhere and only once.
fn check_blocks(entry: &FrameworkEntry, at: &str, violations: &mut Violations) -> Vec<Block> {
    let located =
        |index: usize, block: &BlockEntry| format!("{at}.block[{index}] {:?}", block.code);
    check_codes(
        entry
            .block
            .iter()
            .enumerate()
            .map(|(index, block)| (located(index, block), block.code.as_str())),
        violations,
    );
    let mut placed: HashMap<AgencyType, &str> = HashMap::new();
    let mut blocks = Vec::new();
    for (index, block) in entry.block.iter().enumerate() {
        let here = located(index, block);
        require_text(&block.name, format!("{here}.name"), violations);
        let mut agency_types = Vec::new();
        for (position, text) in block.agency_types.iter().enumerate() {
            let field = format!("{here}.agency_types[{position}]");
            let Some(agency_type) = AgencyType::parse(text) else {
                let words: Vec<_> = AgencyType::ALL.iter().map(|t| t.as_str()).collect();
                violations.add(
                    field,
                    format!("{text:?} is not one of: {}", words.join(", ")),
                );
                continue;
            };
            if let Some(other) = placed.insert(agency_type, block.code.as_str()) {
                violations.add(
                    field,
                    format!("{agency_type} is already in block {other:?}: an agency type is in one block"),
                );
            }
            agency_types.push(agency_type);
        }
        blocks.push(Block {
            code: block.code.clone(),
            name: block.name.clone(),
            agency_types,
            illustrative: block.illustrative,
            note: block.note.clone(),
        });
    }
    if !entry.block.is_empty() {
        for agency_type in AgencyType::ALL {
            if !placed.contains_key(agency_type) {
                violations.add(
                    format!("{at}.block"),
                    format!("no block ranks agencies of type {agency_type}: put it in one"),
                );
            }
        }
    } else {
        violations.add(format!("{at}.block"), "a framework has at least one block");
    }
    blocks
}

#[cfg(test)]
mod tests {
    use crate::catalog_file::{CatalogError, parse};

    #[test]
    fn every_framework_problem_is_reported_at_once_with_where_it_is() {
        let file = r#"
            [[period]]
            code = "2023"
            year = 2023
            window_start = "2022-12-15"
            window_end = "2023-12-14"
            deadline = "2023-11-15T00:00:00+07:00"

            [[maturity_framework]]
            code = "A"
            name = "A"
            issued_on = "2 June 2023"
            periods = ["2023", "2099"]
            points = 100
            pillar = [
              { code = "P1", name = "One", points = 60 },
              { code = "P2", name = "Two", points = 30 },
              { code = "P1", name = "Again", points = 10 },
              { code = "P3", name = "Three", points = 0.5 },
            ]
            component = [
              { code = "P1.C1", pillar = "P1", name = "c", points = 10 },
              { code = "P2.C1", pillar = "P2", name = "c" },
              { code = "P9.C1", pillar = "P9", name = "c" },
            ]
            level = [
              { rank = 1, name = "Weak", from = 10 },
              { rank = 2, name = "Average", from = 50 },
              { rank = 3, name = "Fair", from = 50 },
              { rank = 4, name = "Good", from = 40 },
              { rank = 6, name = "Excellent", from = 120 },
            ]
            block = [
              { code = "b", name = "B", agency_types = ["central_newspaper", "newspaper"] },
              { code = "c", name = "C", agency_types = ["central_newspaper"] },
            ]

            [[maturity_framework.criterion]]
            code = "P1.C1.1"
            component = "P1.C1"
            label = "yes or no"
            points = 20
            scoring = "yes_no"
            choices = [{ code = "x", points = 1 }]

            [[maturity_framework.criterion]]
            code = "P1.C1.2"
            component = "P1.C1"
            label = "graded"
            points = 4
            scoring = "graded"
            choices = [
              { code = "low", points = 1 },
              { code = "high", points = 5 },
              { code = "low", points = "2.5" },
            ]

            [[maturity_framework.criterion]]
            code = "P2.C1.1"
            component = "P2.C1"
            label = "banded"
            points = 30
            scoring = "numeric_bands"
            unit = "%"
            bands = [
              { from = 0, until = 50, points = 0 },
              { from = 40, until = 70, points = 10 },
              { from = 80, until = 90, points = 20 },
              { from = 90, until = 100, points = 30 },
            ]

            [[maturity_framework.criterion]]
            code = "P2.C1.2"
            component = "P7.C1"
            label = "unknown component"
            points = 1
            scoring = "sometimes"

            [[maturity_framework]]
            code = "B"
            name = "B"
            periods = ["2023"]
            points = 10
            pillar = [{ code = "P1", name = "One", points = 10 }]
            component = [{ code = "P1.C1", pillar = "P1", name = "c" }]
            level = [{ rank = 1, name = "Weak", from = 0 }]
            block = [{ code = "all", name = "All", agency_types = [
              "central_newspaper", "local_newspaper", "magazine", "scientific_journal",
              "radio_tv", "local_newspaper_radio_tv",
            ] }]

            [[maturity_framework.criterion]]
            code = "P1.C1.1"
            component = "P1.C1"
            label = "graded, best below the maximum"
            points = 10
            scoring = "graded"
            choices = [{ code = "no", points = 0 }, { code = "yes", points = 8 }]
        "#;
        let Err(CatalogError::Invalid(violations)) = parse(file) else {
            panic!("expected problems");
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        let a = r#"maturity_framework[0] "A""#;
        for expected in [
            format!("{a}.issued_on"),
            format!("{a}.periods[1]"),
            // Pillars: a duplicate code, a float, and the sum (60 + 30 + 10 is not checked
            // against 100 while one pillar's points cannot be read).
            format!(r#"{a}.pillar[2] "P1".code"#),
            format!(r#"{a}.pillar[3] "P3".points"#),
            format!(r#"{a}.pillar[3] "P3""#),
            // Components: an unknown pillar, no criterion, a stated cap its criteria miss.
            format!(r#"{a}.component[2] "P9.C1".pillar"#),
            format!(r#"{a}.component[2] "P9.C1""#),
            format!(r#"{a}.component[0] "P1.C1".points"#),
            // Criteria.
            format!(r#"{a}.criterion[0] "P1.C1.1".choices"#),
            format!(r#"{a}.criterion[1] "P1.C1.2".choices[1].points"#),
            format!(r#"{a}.criterion[1] "P1.C1.2".choices[2].code"#),
            format!(r#"{a}.criterion[2] "P2.C1.1".bands[1].from"#),
            format!(r#"{a}.criterion[2] "P2.C1.1".bands[2].from"#),
            format!(r#"{a}.criterion[2] "P2.C1.1".bands[3].until"#),
            format!(r#"{a}.criterion[3] "P2.C1.2".component"#),
            format!(r#"{a}.criterion[3] "P2.C1.2".scoring"#),
            // A pillar whose criteria do not add up to its points (P1: 20 + 4 against 60).
            format!(r#"{a}.pillar[0] "P1".points"#),
            // Levels: not from 0, equal, falling, a rank out of order, above the total.
            format!("{a}.level[0].from"),
            format!("{a}.level[2].from"),
            format!("{a}.level[3].from"),
            format!("{a}.level[4].rank"),
            format!("{a}.level[4].from"),
            // Blocks: an unknown agency type, one in two blocks, types in none.
            format!(r#"{a}.block[0] "b".agency_types[1]"#),
            format!(r#"{a}.block[1] "c".agency_types[0]"#),
            format!("{a}.block"),
            // The second framework claims a period the first governs.
            r#"maturity_framework[1] "B".periods[0]"#.to_string(),
            r#"maturity_framework[1] "B".criterion[0] "P1.C1.1".choices"#.to_string(),
        ] {
            assert!(
                fields.contains(&expected.as_str()),
                "{expected} missing from {violations:#?}"
            );
        }
        let described = |field: &str| {
            violations
                .iter()
                .filter(|v| v.field == field)
                .map(|v| v.description.as_str())
                .collect::<Vec<_>>()
                .join(" | ")
        };
        assert!(
            described(&format!(r#"{a}.criterion[2] "P2.C1.1".bands[1].from"#)).contains("overlaps")
        );
        assert!(described(&format!(r#"{a}.criterion[2] "P2.C1.1".bands[2].from"#)).contains("gap"));
        assert!(
            described(r#"maturity_framework[1] "B".periods[0]"#).contains("already governed by")
        );
    }
}
