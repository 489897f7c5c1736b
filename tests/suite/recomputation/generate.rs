//! The random data: a catalogue drawn on top of the default one, and reports, drawn from proptest
//! strategies by a runner with the test's fixed seed (`common::draws`).

use chrono::{Days, NaiveDate};
use pressdx::proto::{AnnualReport, DigitalPlatform, PlatformOrigin, StaffCounts};
use proptest::bool::Weighted;
use proptest::prelude::*;
use proptest::sample::select;

use super::catalog::{Model, Version, date};
use super::{AGENCY_TYPES, EDGE_DATES};
use crate::common::TEST_CATALOG;
use crate::common::draws::Draws;

/// True `percent` times in 100.
pub(super) fn chance(percent: u32) -> Weighted {
    proptest::bool::weighted(f64::from(percent) / 100.0)
}

/// A date in 2024-2026: often one next to a period's reference date, else any day.
fn event_date() -> impl Strategy<Value = NaiveDate> {
    prop_oneof![
        4 => select(&EDGE_DATES[..]).prop_map(date),
        6 => (0..1_096_u64).prop_map(|days| date("2024-01-01") + Days::new(days)),
    ]
}

/// The default catalogue, with revenue and two staff counts made optional so that reports can
/// leave them unset (the proto's rules say what an unset field does).
pub(super) fn base_catalog() -> String {
    let mut text = TEST_CATALOG.to_string();
    for code in [
        "revenue_vnd",
        "digital_revenue_vnd",
        "headcount.editors",
        "trained.other",
    ] {
        let start = text
            .find(&format!("code = \"{code}\"\n"))
            .expect("the indicator");
        let offset = text[start..]
            .find("required = true")
            .expect("a required indicator");
        text.replace_range(
            start + offset..start + offset + "required = true".len(),
            "required = false",
        );
    }
    text
}

/// A report of any agency: round revenue figures, each trained count at most its headcount, now
/// and then a revenue or staff count left unset.
pub(super) fn any_report() -> impl Strategy<Value = AnnualReport> {
    // Round figures, so that growth often lands exactly on a threshold (10%, 20%).
    let rounds: &[i64] = &[0, 900, 1_000, 1_000, 1_100, 1_200, 1_500, 2_000];
    let revenue = proptest::option::weighted(
        0.9,
        (select(rounds), prop_oneof![8 => Just(0), 2 => 0..300_i64])
            .prop_map(|(round, extra)| round + extra),
    );
    let staff = (0..=4_i64, 0..=25_i64, 0..=10_i64, 0..=8_i64)
        .prop_flat_map(|(leaders, reporters, editors, other)| {
            let headcount = StaffCounts {
                leaders: Some(leaders),
                reporters: Some(reporters),
                editors: Some(editors),
                other: Some(other),
            };
            let trained = (0..=leaders, 0..=reporters, 0..=editors, 0..=other);
            (Just(headcount), trained, chance(8), chance(8))
        })
        .prop_map(
            |(mut headcount, (leaders, reporters, editors, other), no_editors, no_other)| {
                if no_editors {
                    headcount.editors = None;
                }
                let trained = StaffCounts {
                    leaders: Some(leaders),
                    reporters: Some(reporters),
                    editors: Some(editors),
                    other: (!no_other).then_some(other),
                };
                (headcount, trained)
            },
        );
    let security = (chance(60), chance(30), 1..=5_i64).prop_map(|(electronic, anyway, level)| {
        (electronic, (electronic || anyway).then_some(level))
    });
    let platforms = (chance(50), chance(50), chance(55), chance(50));
    (chance(60), revenue, staff, security, platforms).prop_map(
        |(content, revenue, (headcount, trained), (electronic, security), platforms)| {
            let (central, ai, converged, newsroom) = platforms;
            AnnualReport {
                content_on_digital_platforms: Some(content),
                digital_platforms: if content {
                    vec![DigitalPlatform {
                        name: "Zalo".into(),
                        origin: PlatformOrigin::Domestic.into(),
                    }]
                } else {
                    vec![]
                },
                central_data_platform: Some(central),
                ai_in_operations: Some(ai),
                converged_newsroom: Some(converged),
                newsroom_management_platform: Some(newsroom),
                revenue_vnd: revenue,
                digital_revenue_vnd: revenue.map(|revenue| revenue / 4),
                headcount: Some(headcount),
                trained: Some(trained),
                publishes_electronic_press: Some(electronic),
                security_level: security,
                digital_products_launched: None,
                digital_radio_platform: None,
                digital_tv_platform: None,
            }
        },
    )
}

/// An organisation being drawn.
pub(super) struct Draft {
    pub(super) code: String,
    pub(super) kind: &'static str,
    pub(super) from: Option<NaiveDate>,
    pub(super) until: Option<NaiveDate>,
    /// (code, kind, effective_on; None: the default, this organisation's valid_from).
    pub(super) predecessors: Vec<(String, &'static str, Option<NaiveDate>)>,
    /// The date of the last event it took part in: later events come strictly after.
    pub(super) busy: Option<NaiveDate>,
    /// Agencies: dates its type changes (as when a newspaper absorbs a radio-TV station).
    pub(super) type_changes: Vec<NaiveDate>,
    pub(super) versions: Vec<Version>,
}

impl Draft {
    pub(super) fn new(code: String, kind: &'static str, from: Option<NaiveDate>) -> Draft {
        Draft {
            code,
            kind,
            from,
            until: None,
            predecessors: Vec::new(),
            busy: from,
            type_changes: Vec::new(),
            versions: Vec::new(),
        }
    }

    /// Exists just before `on` and on `on`, and takes part in nothing on or after it yet.
    pub(super) fn free_on(&self, on: NaiveDate) -> bool {
        self.until.is_none() && self.busy.is_none_or(|busy| busy < on)
    }
}

pub(super) struct Lifetime {
    pub(super) code: String,
    pub(super) from: Option<NaiveDate>,
    pub(super) until: Option<NaiveDate>,
}

impl Lifetime {
    /// Exists on `on` (None: since before the catalogue's time).
    pub(super) fn alive(&self, on: Option<NaiveDate>) -> bool {
        match on {
            None => self.from.is_none(),
            Some(on) => {
                self.from.is_none_or(|from| from <= on) && self.until.is_none_or(|u| on < u)
            }
        }
    }
}

pub(super) struct Generated {
    pub(super) text: String,
    pub(super) as_of: Vec<NaiveDate>,
}

/// Provinces merged into a new one or absorbed, governing bodies merged, agencies absorbed,
/// merged, renamed, closed and founded on random dates in 2024-2026, moving as their provinces
/// end and at random; every version refers only to organisations existing all along it.
pub(super) fn generate_catalog(random: &mut Draws, base: &Model) -> Generated {
    let mut events = Vec::new();

    // Provinces.
    let mut provinces: Vec<Draft> = (1..=2 + random.draw(0..3))
        .map(|i| Draft::new(format!("gen-province-{i}"), "province", None))
        .collect();
    let mut dates: Vec<NaiveDate> = (0..1 + random.draw(0..3))
        .map(|_| random.draw(event_date()))
        .collect();
    dates.sort();
    for (index, on) in dates.into_iter().enumerate() {
        let free: Vec<usize> = (0..provinces.len())
            .filter(|&i| provinces[i].free_on(on))
            .collect();
        if free.len() < 2 {
            continue;
        }
        let first = free[random.draw(0..free.len())];
        let second = **random.pick(&free.iter().filter(|&&i| i != first).collect::<Vec<_>>());
        events.push(on);
        if random.draw(chance(60)) {
            // Two provinces become a new one.
            let mut merged = Draft::new(format!("gen-province-m{index}"), "province", Some(on));
            for i in [first, second] {
                provinces[i].until = Some(on);
                merged
                    .predecessors
                    .push((provinces[i].code.clone(), "merger", None));
            }
            provinces.push(merged);
        } else {
            // One absorbs the other.
            provinces[second].until = Some(on);
            let absorbed = provinces[second].code.clone();
            provinces[first]
                .predecessors
                .push((absorbed, "merger", Some(on)));
            provinces[first].busy = Some(on);
        }
    }

    // Governing bodies (central: no province), perhaps two merged into a new one.
    let mut bodies: Vec<Draft> = (1..=3)
        .map(|i| Draft::new(format!("gen-body-{i}"), "governing_body", None))
        .collect();
    if random.draw(chance(60)) {
        let on = random.draw(event_date());
        events.push(on);
        let mut merged = Draft::new("gen-body-m".to_string(), "governing_body", Some(on));
        for body in bodies.iter_mut().take(2) {
            body.until = Some(on);
            merged
                .predecessors
                .push((body.code.clone(), "merger", None));
        }
        bodies.push(merged);
    }

    // Agencies: lifetimes and links first.
    let mut agencies: Vec<Draft> = (1..=6 + random.draw(0..8))
        .map(|i| {
            let from = random.draw(chance(15)).then(|| random.draw(event_date()));
            Draft::new(format!("gen-agency-{i}"), "press_agency", from)
        })
        .collect();
    let mut dates: Vec<NaiveDate> = (0..2 + random.draw(0..6))
        .map(|_| random.draw(event_date()))
        .collect();
    // And one absorption on a reference date whose absorbed agency ends the next day: a link
    // taking effect on the very date a figure is read, its predecessor still there.
    let mut planted = Some(date(random.pick::<&str>(&["2024-12-14", "2025-12-14"])));
    dates.extend(planted);
    dates.sort();
    for (index, on) in dates.into_iter().enumerate() {
        let free: Vec<usize> = (0..agencies.len())
            .filter(|&i| agencies[i].free_on(on) && agencies[i].from.is_none_or(|f| f < on))
            .collect();
        let plant = planted == Some(on);
        if plant {
            planted = None;
        }
        let roll = if plant { 40 } else { random.draw(0..100) };
        if roll < 20 && !free.is_empty() {
            // Closed, with no successor.
            let closed = *random.pick(&free);
            agencies[closed].until = Some(on);
        } else if roll < 30 && !free.is_empty() {
            // Renamed: a new code continues it.
            let old = *random.pick(&free);
            agencies[old].until = Some(on);
            let mut renamed = Draft::new(format!("gen-agency-r{index}"), "press_agency", Some(on));
            renamed
                .predecessors
                .push((agencies[old].code.clone(), "rename", None));
            agencies.push(renamed);
        } else if free.len() >= 2 {
            let first = free[random.draw(0..free.len())];
            let second = **random.pick(&free.iter().filter(|&&i| i != first).collect::<Vec<_>>());
            if roll < 65 {
                // One absorbs the other on `on`; now and then the absorbed one formally ends a
                // day later, so that it still exists on the link's date.
                agencies[second].until = Some(if plant || random.draw(chance(25)) {
                    on + Days::new(1)
                } else {
                    on
                });
                let absorbed = agencies[second].code.clone();
                let absorber = &mut agencies[first];
                absorber.predecessors.push((absorbed, "merger", Some(on)));
                absorber.busy = Some(on);
                if random.draw(chance(50)) {
                    absorber.type_changes.push(on);
                }
            } else {
                // Two become a new agency.
                let mut merged =
                    Draft::new(format!("gen-agency-m{index}"), "press_agency", Some(on));
                let overlap = random.draw(chance(25));
                for i in [first, second] {
                    agencies[i].until = Some(if overlap { on + Days::new(1) } else { on });
                    merged
                        .predecessors
                        .push((agencies[i].code.clone(), "merger", None));
                }
                agencies.push(merged);
            }
        } else {
            continue;
        }
        events.push(on);
    }

    // Then each agency's versions: its province and governing body must exist all along each.
    let lifetimes = |drafts: &[Draft], kind: &str| -> Vec<Lifetime> {
        let mut lifetimes: Vec<Lifetime> = base
            .orgs
            .values()
            .filter(|org| org.kind == kind)
            .map(|org| Lifetime {
                code: org.code.clone(),
                from: org.from,
                until: org.until,
            })
            .collect();
        lifetimes.extend(drafts.iter().map(|draft| Lifetime {
            code: draft.code.clone(),
            from: draft.from,
            until: draft.until,
        }));
        lifetimes
    };
    let province_lifetimes = lifetimes(&provinces, "province");
    let body_lifetimes = lifetimes(&bodies, "governing_body");
    for agency in &mut agencies {
        draw_versions(random, agency, &province_lifetimes, &body_lifetimes);
    }

    // CURRENT is read as of: a day in 2024 (before some mergers), one of the events' own
    // dates, a reference date or its neighbour, and a day after everything.
    let as_of = vec![
        date("2024-01-01") + Days::new(random.draw(0..366_u64)),
        *random.pick(&events),
        date(random.pick::<&str>(&EDGE_DATES)),
        date("2027-06-30"),
    ];

    let mut text = String::new();
    for draft in provinces.iter().chain(&bodies).chain(&agencies) {
        render(&mut text, draft);
    }
    Generated { text, as_of }
}

fn draw_versions(
    random: &mut Draws,
    agency: &mut Draft,
    provinces: &[Lifetime],
    bodies: &[Lifetime],
) {
    let (born, ends) = (agency.from, agency.until);
    let within = move |on: NaiveDate| {
        born.is_none_or(|from| from < on) && ends.is_none_or(|until| on < until)
    };
    let mut moves: Vec<NaiveDate> = (0..random.draw(0..3))
        .map(|_| random.draw(event_date()))
        .collect();
    moves.retain(|on| within(*on));
    let flips: Vec<NaiveDate> = if random.draw(chance(20)) {
        vec![random.draw(event_date())]
    } else {
        vec![]
    };
    let flips: Vec<NaiveDate> = flips.into_iter().filter(|on| within(*on)).collect();
    let central = random.draw(chance(15));
    let has_body = random.draw(chance(80));
    let mut agency_type = if central {
        *random.pick(&["central_newspaper", "magazine", "scientific_journal"])
    } else {
        *random.pick(&AGENCY_TYPES[1..])
    };
    let mut electronic = random.draw(chance(60));
    let alive = |lifetimes: &[Lifetime], on: Option<NaiveDate>| -> Vec<String> {
        lifetimes
            .iter()
            .filter(|lifetime| lifetime.alive(on))
            .map(|lifetime| lifetime.code.clone())
            .collect()
    };
    let until_of = |lifetimes: &[Lifetime], code: &Option<String>| {
        code.as_ref().and_then(|code| {
            lifetimes
                .iter()
                .find(|lifetime| &lifetime.code == code)
                .and_then(|lifetime| lifetime.until)
        })
    };

    let mut start = agency.from;
    let mut province: Option<String> = None;
    let mut body: Option<String> = None;
    loop {
        let first = agency.versions.is_empty();
        let moving = start.is_some_and(|on| moves.contains(&on));
        if !central {
            let gone = province
                .as_ref()
                .is_none_or(|code| !alive(provinces, start).contains(code));
            if first || gone || moving {
                let candidates = alive(provinces, start);
                assert!(!candidates.is_empty(), "a province on {start:?}");
                province = Some(random.pick(&candidates).clone());
            }
        }
        if has_body {
            let gone = body
                .as_ref()
                .is_none_or(|code| !alive(bodies, start).contains(code));
            if first || gone || (moving && random.draw(chance(50))) {
                let candidates = alive(bodies, start);
                assert!(!candidates.is_empty(), "a governing body on {start:?}");
                body = Some(random.pick(&candidates).clone());
            }
        }
        if start.is_some_and(|on| agency.type_changes.contains(&on)) {
            agency_type = "local_newspaper_radio_tv";
        }
        if start.is_some_and(|on| flips.contains(&on)) {
            electronic = !electronic;
        }
        let version = Version {
            from: start,
            province: province.clone(),
            body: body.clone(),
            agency_type: Some(agency_type.to_string()),
            electronic,
        };
        let unchanged = agency.versions.last().is_some_and(|last| {
            Version {
                from: start,
                ..last.clone()
            } == version
        });
        if !unchanged {
            agency.versions.push(version);
        }
        // The next day anything changes: a province or body ends, or a planned change.
        let planned = moves
            .iter()
            .chain(&flips)
            .chain(&agency.type_changes)
            .copied()
            .filter(|on| within(*on) && start.is_none_or(|start| start < *on));
        let next = [until_of(provinces, &province), until_of(bodies, &body)]
            .into_iter()
            .flatten()
            .chain(planned)
            .filter(|on| ends.is_none_or(|until| *on < until))
            .min();
        match next {
            Some(on) => start = Some(on),
            None => break,
        }
    }
}

fn render(text: &mut String, draft: &Draft) {
    let quoted = |value: &str| format!("\"{value}\"");
    let mut lines = vec![
        "[[organization]]".to_string(),
        format!("code = {}", quoted(&draft.code)),
        format!("kind = {}", quoted(draft.kind)),
        format!("name = {}", quoted(&draft.code.to_uppercase())),
    ];
    if let Some(from) = draft.from {
        lines.push(format!("valid_from = \"{from}\""));
    }
    if let Some(until) = draft.until {
        lines.push(format!("valid_until = \"{until}\""));
    }
    if let Some(first) = draft.versions.first() {
        if let Some(province) = &first.province {
            lines.push(format!("province = {}", quoted(province)));
        }
        if let Some(body) = &first.body {
            lines.push(format!("governing_body = {}", quoted(body)));
        }
        if let Some(agency_type) = &first.agency_type {
            lines.push(format!("agency_type = {}", quoted(agency_type)));
        }
        lines.push(format!("publishes_electronic_press = {}", first.electronic));
    }
    if !draft.predecessors.is_empty() {
        let links: Vec<String> = draft
            .predecessors
            .iter()
            .map(|(code, kind, effective_on)| match effective_on {
                Some(on) => {
                    format!("{{ code = \"{code}\", kind = \"{kind}\", effective_on = \"{on}\" }}")
                }
                None => format!("{{ code = \"{code}\", kind = \"{kind}\" }}"),
            })
            .collect();
        lines.push(format!("predecessors = [{}]", links.join(", ")));
    }
    let changes: Vec<String> = draft
        .versions
        .windows(2)
        .map(|pair| {
            let (before, after) = (&pair[0], &pair[1]);
            let mut fields = vec![format!(
                "from = \"{}\"",
                after.from.expect("a change has a date")
            )];
            if after.province != before.province
                && let Some(province) = &after.province
            {
                fields.push(format!("province = {}", quoted(province)));
            }
            if after.body != before.body
                && let Some(body) = &after.body
            {
                fields.push(format!("governing_body = {}", quoted(body)));
            }
            if after.agency_type != before.agency_type
                && let Some(agency_type) = &after.agency_type
            {
                fields.push(format!("agency_type = {}", quoted(agency_type)));
            }
            if after.electronic != before.electronic {
                fields.push(format!("publishes_electronic_press = {}", after.electronic));
            }
            format!("{{ {} }}", fields.join(", "))
        })
        .collect();
    if !changes.is_empty() {
        lines.push(format!("changes = [{}]", changes.join(", ")));
    }
    text.push_str(&lines.join("\n"));
    text.push_str("\n\n");
}
