//! MaturityService results: final scores ranked within blocks nationally and per province (ties
//! share a rank), level counts and pillar means and medians per scope under both boundaries, and
//! comparisons of two periods, across framework versions by pillar shares only. Every expected
//! figure is worked out by hand in the comments, from small test frameworks that replace the
//! default catalogue's V2023 and V2024.

use pressdx::domain::access::Role;
use pressdx::proto::maturity_service_client::MaturityServiceClient;
use pressdx::proto::{
    AgencyMaturityResult, AppraiseSelfAssessmentRequest, Boundaries, CompareMaturityResultsRequest,
    CriterionAnswer, EvidenceReference, GetMaturityResultsRequest, MaturityResults, PartStatistics,
    SubmitSelfAssessmentRequest, criterion_answer::Answer,
};
use tonic::Code;

use super::assessment::FRAMEWORK_2026;
use super::fixtures::{error_reason, new_id, violated_fields};
use crate::common::{TEST_CATALOG, TestApp};

/// A second newspaper in Hà Nam (governed by the People's Committee, so that the committee's
/// scope holds two agencies), and a province outside the 2025 merger with one newspaper.
const ORGANISATIONS: &str = r#"
[[organization]]
code = "test-bao-ha-nam-2"
kind = "press_agency"
name = "Báo Thử nghiệm Hà Nam"
valid_until = "2025-07-01"
province = "ha-nam"
governing_body = "ubnd-ha-nam"
agency_type = "local_newspaper"

[[organization]]
code = "test-other-province"
kind = "province"
name = "Tỉnh Khác"

[[organization]]
code = "test-other-tinh-uy"
kind = "governing_body"
name = "Tỉnh ủy Khác"
province = "test-other-province"

[[organization]]
code = "test-bao-other"
kind = "press_agency"
name = "Báo Khác"
province = "test-other-province"
governing_body = "test-other-tinh-uy"
agency_type = "local_newspaper"
"#;

/// 2023: 10 points in three pillars, P1 (4: a yes/no worth 4), P2 (4: two yes/no worth 2) and P3
/// (2: a yes/no worth 2); levels from 0 and 6; one block.
const FRAMEWORK_2023: &str = r#"
[[maturity_framework]]
code = "V2023"
name = "A test framework of 2023"
periods = ["2023"]
points = 10
pillar = [
  { code = "P1", name = "One", points = 4 },
  { code = "P2", name = "Two", points = 4 },
  { code = "P3", name = "Three", points = 2 },
]
component = [
  { code = "P1.C1", pillar = "P1", name = "c1" },
  { code = "P2.C1", pillar = "P2", name = "c2" },
  { code = "P3.C1", pillar = "P3", name = "c3" },
]
level = [{ rank = 1, name = "Weak", from = 0 }, { rank = 2, name = "Good", from = 6 }]
block = [{ code = "all", name = "All", agency_types = [
  "central_newspaper", "local_newspaper", "magazine", "scientific_journal",
  "radio_tv", "local_newspaper_radio_tv",
] }]
criterion = [
  { code = "P1.C1.1", component = "P1.C1", label = "a", points = 4, scoring = "yes_no" },
  { code = "P2.C1.1", component = "P2.C1", label = "b", points = 2, scoring = "yes_no" },
  { code = "P2.C1.2", component = "P2.C1", label = "c", points = 2, scoring = "yes_no" },
  { code = "P3.C1.1", component = "P3.C1", label = "d", points = 2, scoring = "yes_no" },
]
"#;

/// 2024: the shape of FRAMEWORK_2026 (P1 of 6: a yes/no worth 4 and a graded none 0 / some 1 /
/// full 2; P2 of 4: a share in bands below 50: 0, 50 to 80: 2, from 80: 4; levels from 0, 5 and
/// 8), with newspapers and radio-TV stations in two blocks.
const FRAMEWORK_2024: &str = r#"
[[maturity_framework]]
code = "V2024"
name = "A test framework of 2024"
periods = ["2024"]
points = 10
pillar = [{ code = "P1", name = "One", points = 6 }, { code = "P2", name = "Two", points = 4 }]
component = [
  { code = "P1.C1", pillar = "P1", name = "c1" },
  { code = "P2.C1", pillar = "P2", name = "c2" },
]
level = [
  { rank = 1, name = "Weak", from = 0 },
  { rank = 2, name = "Fair", from = 5 },
  { rank = 3, name = "Good", from = 8 },
]
block = [
  { code = "newspapers", name = "Newspapers", agency_types = [
    "central_newspaper", "local_newspaper", "magazine", "scientific_journal",
    "local_newspaper_radio_tv",
  ] },
  { code = "stations", name = "Radio-TV", agency_types = ["radio_tv"] },
]
criterion = [
  { code = "P1.C1.1", component = "P1.C1", label = "a", points = 4, scoring = "yes_no" },
  { code = "P1.C1.2", component = "P1.C1", label = "b", points = 2, scoring = "graded", choices = [
    { code = "none", points = 0 }, { code = "some", points = 1 }, { code = "full", points = 2 },
  ] },
  { code = "P2.C1.1", component = "P2.C1", label = "c", points = 4, scoring = "numeric_bands", unit = "%", bands = [
    { from = 0, until = 50, points = 0 }, { from = 50, until = 80, points = 2 }, { from = 80, points = 4 },
  ] },
]
"#;

fn catalogue() -> String {
    let (without_frameworks, _) = TEST_CATALOG
        .split_once("# ---- Maturity index frameworks")
        .expect("the default catalogue ends with its maturity frameworks");
    // FRAMEWORK_2026 governs 2027 too, for a comparison under one framework.
    let framework_2026 =
        FRAMEWORK_2026.replace(r#"periods = ["2026"]"#, r#"periods = ["2026", "2027"]"#);
    format!(
        "{without_frameworks}\n{ORGANISATIONS}\n{FRAMEWORK_2023}\n{FRAMEWORK_2024}\n{framework_2026}"
    )
}

fn evidence(criterion: &str) -> EvidenceReference {
    EvidenceReference {
        criterion_code: criterion.into(),
        title: format!("Evidence of {criterion}"),
        link: "https://example.vn/evidence.pdf".into(),
        document_id: String::new(),
        sha256: "cd".repeat(32),
    }
}

/// Submits a self-assessment as the agency itself, with evidence for every answer; its id.
async fn assess(
    app: &TestApp,
    agency: &str,
    period: &str,
    framework: &str,
    answers: Vec<(&str, Answer)>,
) -> i64 {
    let token = app.agency_token(agency).await;
    let request = SubmitSelfAssessmentRequest {
        request_id: new_id(),
        agency_code: agency.into(),
        period_code: period.into(),
        framework_code: framework.into(),
        evidence: answers.iter().map(|(code, _)| evidence(code)).collect(),
        answers: answers
            .into_iter()
            .map(|(code, answer)| CriterionAnswer {
                criterion_code: code.into(),
                answer: Some(answer),
            })
            .collect(),
        validate_only: false,
    };
    MaturityServiceClient::new(app.connection(Some(&token)))
        .submit_self_assessment(request)
        .await
        .unwrap_or_else(|status| panic!("{agency} {period}: {status:?}"))
        .into_inner()
        .id
}

/// Answers to the 2024 (and 2026) shape: the yes/no, the graded choice, the share.
fn shaped(yes: bool, choice: &str, share: &str) -> Vec<(&'static str, Answer)> {
    vec![
        ("P1.C1.1", Answer::Yes(yes)),
        ("P1.C1.2", Answer::Choice(choice.into())),
        ("P2.C1.1", Answer::Number(share.into())),
    ]
}

fn asked(period: &str, scope: &str) -> GetMaturityResultsRequest {
    GetMaturityResultsRequest {
        period_code: period.into(),
        scope: scope.into(),
        boundaries: Boundaries::Historical.into(),
        as_of: String::new(),
    }
}

fn current(period: &str, scope: &str) -> GetMaturityResultsRequest {
    GetMaturityResultsRequest {
        boundaries: Boundaries::Current.into(),
        as_of: "2026-01-01".into(),
        ..asked(period, scope)
    }
}

/// (agency, total, level rank, national rank of ranked, province rank of ranked, block).
type Row = (String, i32, i32, (i32, i32), (i32, i32), String);

fn rows(results: &MaturityResults) -> Vec<Row> {
    results
        .agencies
        .iter()
        .map(|agency: &AgencyMaturityResult| {
            let score = agency.score.clone().unwrap_or_default();
            (
                agency.agency_code.clone(),
                score.total_hundredths,
                score.level_rank,
                (agency.national_rank, agency.national_ranked),
                (agency.province_rank, agency.province_ranked),
                agency.block_code.clone(),
            )
        })
        .collect()
}

fn row(
    agency: &str,
    total: i32,
    level: i32,
    national: (i32, i32),
    province: (i32, i32),
    block: &str,
) -> Row {
    (
        agency.into(),
        total,
        level,
        national,
        province,
        block.into(),
    )
}

/// Agencies per level, weakest first.
fn levels(results: &MaturityResults) -> Vec<i32> {
    let aggregate = results.aggregate.clone().unwrap_or_default();
    aggregate
        .levels
        .iter()
        .map(|level| level.agencies)
        .collect()
}

/// (code, mean, median, mean share) of a pillar or the total; (code, share, baseline share,
/// change) of a pillar compared.
type Figures = (String, Option<i32>, Option<i32>, Option<i32>);

/// The figures of each pillar, then of the total.
fn statistics(results: &MaturityResults) -> Vec<Figures> {
    let aggregate = results.aggregate.clone().unwrap_or_default();
    let of = |part: &PartStatistics| {
        (
            part.code.clone(),
            part.mean_hundredths,
            part.median_hundredths,
            part.mean_share_bp,
        )
    };
    aggregate
        .pillars
        .iter()
        .chain(aggregate.total.as_ref())
        .map(of)
        .collect()
}

fn stat(code: &str, mean: i32, median: i32, share: i32) -> Figures {
    (code.into(), Some(mean), Some(median), Some(share))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_rank_within_blocks_and_sum_up_scopes_across_the_merger() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    app.apply_catalog(&catalogue()).await;

    // 2024, scored by hand under FRAMEWORK_2024 (yes 4 + choice 0/1/2 + band 0/2/4):
    //   bao-ninh-binh      newspaper  Ninh Bình  yes, full, 80   4 + 2 + 4 = 10   level 3
    //   test-bao-other     newspaper  other      yes, some, 80   4 + 1 + 4 = 9    level 3
    //   bao-nam-dinh       newspaper  Nam Định   yes, some, 50   4 + 1 + 2 = 7    level 2
    //   bao-ha-nam         newspaper  Hà Nam     yes, some, 50   4 + 1 + 2 = 7    level 2
    //   test-bao-ha-nam-2  newspaper  Hà Nam     yes, some, 0    4 + 1 + 0 = 5    level 2, on its cut-off
    //   ptth-nam-dinh      station    Nam Định   yes, full, 50   4 + 2 + 2 = 8    level 3, on its cut-off
    //   ptth-ha-nam        station    Hà Nam     yes, some, 0    5, appraised to 4.99: level 1
    //   ptth-ninh-binh     station    Ninh Bình  none: missing
    // bao-nam-dinh first sends a 10, then corrects it to 7: the latest revision counts.
    assess(
        &app,
        "bao-nam-dinh",
        "2024",
        "V2024",
        shaped(true, "full", "80"),
    )
    .await;
    assess(
        &app,
        "bao-nam-dinh",
        "2024",
        "V2024",
        shaped(true, "some", "50"),
    )
    .await;
    assess(
        &app,
        "bao-ninh-binh",
        "2024",
        "V2024",
        shaped(true, "full", "80"),
    )
    .await;
    assess(
        &app,
        "test-bao-other",
        "2024",
        "V2024",
        shaped(true, "some", "80"),
    )
    .await;
    assess(
        &app,
        "bao-ha-nam",
        "2024",
        "V2024",
        shaped(true, "some", "50"),
    )
    .await;
    assess(
        &app,
        "test-bao-ha-nam-2",
        "2024",
        "V2024",
        shaped(true, "some", "0"),
    )
    .await;
    assess(
        &app,
        "ptth-nam-dinh",
        "2024",
        "V2024",
        shaped(true, "full", "50"),
    )
    .await;
    let station = assess(
        &app,
        "ptth-ha-nam",
        "2024",
        "V2024",
        shaped(true, "some", "0"),
    )
    .await;
    // The council takes 0.01 off the graded criterion: 4 + 0.99 + 0 = 4.99, just below level 2.
    let province = app.token(Role::Province, Some("ha-nam")).await;
    MaturityServiceClient::new(app.connection(Some(&province)))
        .appraise_self_assessment(AppraiseSelfAssessmentRequest {
            self_assessment_id: station,
            criterion_code: "P1.C1.2".into(),
            points: "0.99".into(),
            reason: "the strategy was adopted after the window".into(),
        })
        .await
        .unwrap();

    let ministry = app.token(Role::Ministry, None).await;
    let mut results = MaturityServiceClient::new(app.connection(Some(&ministry)));
    let country = results
        .get_maturity_results(asked("2024", "country"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(country.framework_code, "V2024");
    // Newspapers in the country: 10, 9, 7, 7, 5 rank 1, 2, 3, 3, 5 (competition ranking: the
    // two at 7 share 3 and the next is 5, not 4). Stations: 8 then 4.99. Per province and block:
    // Hà Nam's newspapers 7 then 5; everyone else is alone in its province's block.
    assert_eq!(
        rows(&country),
        [
            row("bao-ha-nam", 700, 2, (3, 5), (1, 2), "newspapers"),
            row("bao-nam-dinh", 700, 2, (3, 5), (1, 1), "newspapers"),
            row("bao-ninh-binh", 1000, 3, (1, 5), (1, 1), "newspapers"),
            row("ptth-ha-nam", 499, 1, (2, 2), (1, 1), "stations"),
            row("ptth-nam-dinh", 800, 3, (1, 2), (1, 1), "stations"),
            row("test-bao-ha-nam-2", 500, 2, (5, 5), (2, 2), "newspapers"),
            row("test-bao-other", 900, 3, (2, 5), (1, 1), "newspapers"),
        ]
    );
    assert_eq!(country.missing_agency_codes, ["ptth-ninh-binh"]);
    let revised = country
        .agencies
        .iter()
        .find(|agency| agency.agency_code == "bao-nam-dinh")
        .unwrap();
    assert_eq!(revised.revision, 2);
    let appraised: Vec<&str> = country
        .agencies
        .iter()
        .filter(|agency| agency.appraised)
        .map(|agency| agency.agency_code.as_str())
        .collect();
    assert_eq!(appraised, ["ptth-ha-nam"]);
    // Levels: 4.99 is level 1; 7, 7 and 5 level 2; 10, 9 and 8 level 3.
    assert_eq!(levels(&country), [1, 3, 3]);
    let aggregate = country.aggregate.clone().unwrap();
    assert_eq!(
        (aggregate.covered, aggregate.assessed, aggregate.missing),
        (8, 7, 1)
    );
    // P1 (of 6): 5, 6, 5, 5, 5, 6, 4.99 (bao-ha-nam, bao-nam-dinh, bao-ninh-binh, test-bao-ha-nam-2,
    // test-bao-other, ptth-nam-dinh, ptth-ha-nam): sum 36.99, mean 5.284... = 5.28; sorted
    // 4.99 5 5 5 5 6 6, median 5; share 36.99 / 42 = 0.88071... = 8807 bp.
    // P2 (of 4): 2, 2, 4, 0, 4, 2, 0: sum 14, mean 2, median 2, share 14 / 28 = 5000 bp.
    // Total (of 10): 7, 7, 10, 5, 9, 8, 4.99: sum 50.99, mean 7.284... = 7.28, median 7, share
    // 50.99 / 70 = 0.72842... = 7284 bp.
    assert_eq!(
        statistics(&country),
        [
            stat("P1", 528, 500, 8807),
            stat("P2", 200, 200, 5000),
            stat("total", 728, 700, 7284),
        ]
    );

    // A scope does not change the ranks: Hà Nam's agencies keep their national places.
    let ha_nam = results
        .get_maturity_results(asked("2024", "province:ha-nam"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        rows(&ha_nam),
        [
            row("bao-ha-nam", 700, 2, (3, 5), (1, 2), "newspapers"),
            row("ptth-ha-nam", 499, 1, (2, 2), (1, 1), "stations"),
            row("test-bao-ha-nam-2", 500, 2, (5, 5), (2, 2), "newspapers"),
        ]
    );
    assert_eq!(levels(&ha_nam), [1, 2, 0]);
    assert!(ha_nam.missing_agency_codes.is_empty());

    // The People's Committee of Hà Nam governs the station (4.99) and test-bao-ha-nam-2 (5): an
    // even count whose median, like the mean, is (4.99 + 5) / 2 = 4.995, rounded half up to
    // 5.00 (truncating, or rounding halves down, would give 4.99), in P1 and in the total.
    // P2: 0 and 0. Shares: P1 9.99 / 12 = 0.8325 = 8325 bp; total 9.99 / 20 = 4995 bp.
    let committee = results
        .get_maturity_results(asked("2024", "governing_body:ubnd-ha-nam"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        statistics(&committee),
        [
            stat("P1", 500, 500, 8325),
            stat("P2", 0, 0, 0),
            stat("total", 500, 500, 4995),
        ]
    );

    // Across the merger: the new Ninh Bình did not exist in 2024, so under HISTORICAL it covers
    // nothing and says it was not yet formed; under CURRENT (as of 2026-01-01) it covers the
    // agencies of Hà Nam, Nam Định and Ninh Bình of 2024: all but test-bao-other.
    let historical = results
        .get_maturity_results(asked("2024", "province:ninh-binh-2025"))
        .await
        .unwrap()
        .into_inner();
    assert!(historical.agencies.is_empty() && historical.missing_agency_codes.is_empty());
    let absence = historical
        .scope_resolution
        .clone()
        .unwrap()
        .absence
        .unwrap();
    assert_eq!(absence.organization_code, "ninh-binh-2025");
    assert_eq!(
        statistics(&historical)[2],
        ("total".to_string(), None, None, None)
    );
    let merged = results
        .get_maturity_results(current("2024", "province:ninh-binh-2025"))
        .await
        .unwrap()
        .into_inner();
    let merged_codes: Vec<&str> = merged
        .agencies
        .iter()
        .map(|agency| agency.agency_code.as_str())
        .collect();
    assert_eq!(
        merged_codes,
        [
            "bao-ha-nam",
            "bao-nam-dinh",
            "bao-ninh-binh",
            "ptth-ha-nam",
            "ptth-nam-dinh",
            "test-bao-ha-nam-2"
        ]
    );
    assert_eq!(merged.missing_agency_codes, ["ptth-ninh-binh"]);
    // Without test-bao-other (P1 5, P2 4, total 9): levels 1, 3 and 2.
    // P1: 5 5 6 4.99 6 5, sum 31.99, mean 5.3316... = 5.33, sorted 4.99 5 5 5 6 6, median 5,
    // share 31.99 / 36 = 0.88861... = 8886 bp. P2: 2 2 4 0 2 0, sum 10, mean 1.666... = 1.67,
    // sorted 0 0 2 2 2 4, median 2, share 10 / 24 = 0.41666... = 4167 bp. Total: 7 7 10 4.99 8 5,
    // sum 41.99, mean 6.99833... = 7.00, sorted 4.99 5 7 7 8 10, median 7, share 41.99 / 60 =
    // 0.69983... = 6998 bp.
    assert_eq!(levels(&merged), [1, 3, 2]);
    assert_eq!(
        statistics(&merged),
        [
            stat("P1", 533, 500, 8886),
            stat("P2", 167, 200, 4167),
            stat("total", 700, 700, 6998),
        ]
    );

    // Who reads what: the merged province its predecessors' 2024 under CURRENT; Hà Nam not the
    // country; an agency its own row (an empty scope), with its national rank, and nothing wider.
    let merged_province = app.token(Role::Province, Some("ninh-binh-2025")).await;
    MaturityServiceClient::new(app.connection(Some(&merged_province)))
        .get_maturity_results(current("2024", "province:ninh-binh-2025"))
        .await
        .unwrap();
    let refused = MaturityServiceClient::new(app.connection(Some(&province)))
        .get_maturity_results(asked("2024", "country"))
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), error_reason(&refused).as_str()),
        (Code::PermissionDenied, "OUT_OF_SCOPE")
    );
    let agency_token = app.agency_token("bao-ha-nam").await;
    let mut agency = MaturityServiceClient::new(app.connection(Some(&agency_token)));
    let own = agency
        .get_maturity_results(asked("2024", ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.scope, "agency:bao-ha-nam");
    assert_eq!(
        rows(&own),
        [row("bao-ha-nam", 700, 2, (3, 5), (1, 2), "newspapers")]
    );
    let refused = agency
        .get_maturity_results(asked("2024", "province:ha-nam"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);

    // A period no framework governs, and a request missing its period.
    let refused = results
        .get_maturity_results(asked("2028", "country"))
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), error_reason(&refused).as_str()),
        (Code::FailedPrecondition, "NO_MATURITY_FRAMEWORK")
    );
    let refused = results
        .get_maturity_results(asked("", "country"))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["period_code"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comparison_across_framework_versions_compares_pillar_shares_only() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    app.apply_catalog(&catalogue()).await;

    // 2023 under FRAMEWORK_2023 (P1 of 4, P2 of 4, P3 of 2):
    //   bao-nam-dinh  P1 yes 4, P2 2 + 0, P3 no    total 6
    //   bao-ha-nam    P1 no 0,  P2 2 + 2, P3 yes 2 total 6
    //   test-bao-other P1 yes 4, P2 0, P3 0 (outside the merged province)
    //   ptth-nam-dinh  every answer no: 0, exactly level 1's cut-off
    let answers_2023 = |p1: bool, p2a: bool, p2b: bool, p3: bool| {
        vec![
            ("P1.C1.1", Answer::Yes(p1)),
            ("P2.C1.1", Answer::Yes(p2a)),
            ("P2.C1.2", Answer::Yes(p2b)),
            ("P3.C1.1", Answer::Yes(p3)),
        ]
    };
    assess(
        &app,
        "bao-nam-dinh",
        "2023",
        "V2023",
        answers_2023(true, true, false, false),
    )
    .await;
    assess(
        &app,
        "bao-ha-nam",
        "2023",
        "V2023",
        answers_2023(false, true, true, true),
    )
    .await;
    assess(
        &app,
        "test-bao-other",
        "2023",
        "V2023",
        answers_2023(true, false, false, false),
    )
    .await;
    assess(
        &app,
        "ptth-nam-dinh",
        "2023",
        "V2023",
        answers_2023(false, false, false, false),
    )
    .await;
    // 2024 under FRAMEWORK_2024 (P1 of 6, P2 of 4):
    //   bao-nam-dinh  yes, some, 50: P1 5, P2 2
    //   bao-ha-nam    yes, full, 0:  P1 6, P2 0
    //   ptth-ha-nam   no, some, 80:  P1 1, P2 4
    assess(
        &app,
        "bao-nam-dinh",
        "2024",
        "V2024",
        shaped(true, "some", "50"),
    )
    .await;
    assess(
        &app,
        "bao-ha-nam",
        "2024",
        "V2024",
        shaped(true, "full", "0"),
    )
    .await;
    assess(
        &app,
        "ptth-ha-nam",
        "2024",
        "V2024",
        shaped(false, "some", "80"),
    )
    .await;

    let ministry = app.token(Role::Ministry, None).await;
    let mut results = MaturityServiceClient::new(app.connection(Some(&ministry)));
    let compare = |period: &str, baseline: &str, scope: &str| CompareMaturityResultsRequest {
        period_code: period.into(),
        baseline_period_code: baseline.into(),
        scope: scope.into(),
        boundaries: Boundaries::Current.into(),
        as_of: "2026-01-01".into(),
    };
    // 2023 on its own, in the country: one block; totals 6, 6, 4 and 0 rank 1, 1, 3 and 4; 6 is
    // exactly level 2's cut-off, 0 level 1's. In Nam Định bao-nam-dinh (6) is 1 and ptth-nam-dinh
    // (0) 2 of 2. Four agencies of 2023 sent nothing.
    let year_2023 = results
        .get_maturity_results(asked("2023", "country"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        rows(&year_2023),
        [
            row("bao-ha-nam", 600, 2, (1, 4), (1, 1), "all"),
            row("bao-nam-dinh", 600, 2, (1, 4), (1, 2), "all"),
            row("ptth-nam-dinh", 0, 1, (4, 4), (2, 2), "all"),
            row("test-bao-other", 400, 1, (3, 4), (1, 1), "all"),
        ]
    );
    assert_eq!(levels(&year_2023), [2, 2]);
    assert_eq!(
        year_2023.missing_agency_codes,
        [
            "bao-ninh-binh",
            "ptth-ha-nam",
            "ptth-ninh-binh",
            "test-bao-ha-nam-2"
        ]
    );

    // The new Ninh Bình under CURRENT: 2023 holds bao-nam-dinh, bao-ha-nam and ptth-nam-dinh
    // (test-bao-other is elsewhere). Shares of 2023: P1 (4 + 0 + 0) / (3 x 4) = 1/3 = 3333 bp;
    // P2 (2 + 4 + 0) / 12 = 5000 bp; P3 (0 + 2 + 0) / (3 x 2) = 1/3 = 3333 bp. Of 2024, three
    // agencies: P1 (5 + 6 + 1) / (3 x 6) = 2/3 = 6667 bp (half up from 6666.67); P2
    // (2 + 0 + 4) / (3 x 4) = 5000 bp. Changes: P1 6667 - 3333 = 3334, the difference of the
    // rounded shares (2/3 - 1/3 rounded would be 3333); P2 0; P3 only in 2023: no change. The
    // totals (2023: 6, 6 and 0; 2024: 7, 6 and 5) are not compared across versions.
    let across = results
        .compare_maturity_results(compare("2024", "2023", "province:ninh-binh-2025"))
        .await
        .unwrap()
        .into_inner();
    assert!(across.frameworks_differ);
    assert_eq!(
        (
            across.framework_code.as_str(),
            across.baseline_framework_code.as_str()
        ),
        ("V2024", "V2023")
    );
    assert_eq!((across.assessed, across.baseline_assessed), (3, 3));
    let pillars: Vec<Figures> = across
        .pillars
        .iter()
        .map(|pillar| {
            (
                pillar.code.clone(),
                pillar.share_bp,
                pillar.baseline_share_bp,
                pillar.change_bp,
            )
        })
        .collect();
    assert_eq!(
        pillars,
        [
            ("P1".to_string(), Some(6667), Some(3333), Some(3334)),
            ("P2".to_string(), Some(5000), Some(5000), Some(0)),
            ("P3".to_string(), None, Some(3333), None),
        ]
    );
    assert_eq!(
        (
            across.mean_total_hundredths,
            across.baseline_mean_total_hundredths,
            across.mean_total_change_hundredths
        ),
        (None, None, None)
    );

    // Under one framework (FRAMEWORK_2026 governs 2026 and 2027) the totals compare too.
    // 2026: bao-ptth-ninh-binh-2025 yes, some, 80 = 9; test-bao-other yes, none, 0 = 4. 2027: the
    // first alone, yes, full, 80 = 10 (test-bao-other is missing). Country means: 2026
    // (9 + 4) / 2 = 6.5, 2027 10; change 3.5. Shares: P1 2026 (5 + 4) / 12 = 7500 bp, 2027
    // 6 / 6 = 10000 bp; P2 2026 (4 + 0) / 8 = 5000 bp, 2027 4 / 4 = 10000 bp.
    assess(
        &app,
        "bao-ptth-ninh-binh-2025",
        "2026",
        "T2026",
        shaped(true, "some", "80"),
    )
    .await;
    assess(
        &app,
        "test-bao-other",
        "2026",
        "T2026",
        shaped(true, "none", "0"),
    )
    .await;
    assess(
        &app,
        "bao-ptth-ninh-binh-2025",
        "2027",
        "T2026",
        shaped(true, "full", "80"),
    )
    .await;
    let same = results
        .compare_maturity_results(CompareMaturityResultsRequest {
            boundaries: Boundaries::Historical.into(),
            as_of: String::new(),
            ..compare("2027", "2026", "country")
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!same.frameworks_differ);
    assert_eq!(
        (
            same.framework_code.as_str(),
            same.baseline_framework_code.as_str()
        ),
        ("T2026", "T2026")
    );
    assert_eq!(
        (
            same.mean_total_hundredths,
            same.baseline_mean_total_hundredths,
            same.mean_total_change_hundredths
        ),
        (Some(1000), Some(650), Some(350))
    );
    let shares: Vec<(Option<i32>, Option<i32>, Option<i32>)> = same
        .pillars
        .iter()
        .map(|pillar| (pillar.share_bp, pillar.baseline_share_bp, pillar.change_bp))
        .collect();
    assert_eq!(
        shares,
        [
            (Some(10000), Some(7500), Some(2500)),
            (Some(10000), Some(5000), Some(5000)),
        ]
    );

    // The baseline is the earlier period; a province compares only what it reaches in both.
    let refused = results
        .compare_maturity_results(compare("2023", "2024", "country"))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["baseline_period_code"]);
    let refused = results
        .compare_maturity_results(CompareMaturityResultsRequest {
            baseline_period_code: String::new(),
            ..compare("2024", "2023", "country")
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["baseline_period_code"]);
    let ha_nam = app.token(Role::Province, Some("ha-nam")).await;
    let mut province = MaturityServiceClient::new(app.connection(Some(&ha_nam)));
    province
        .compare_maturity_results(CompareMaturityResultsRequest {
            boundaries: Boundaries::Historical.into(),
            as_of: String::new(),
            ..compare("2024", "2023", "province:ha-nam")
        })
        .await
        .unwrap();
    let refused = province
        .compare_maturity_results(compare("2024", "2023", "province:ninh-binh-2025"))
        .await
        .unwrap_err();
    assert_eq!(error_reason(&refused), "OUT_OF_SCOPE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_province_report_holds_the_level_counts_once_its_agencies_assessed_themselves() {
    let backend = crate::BACKEND;
    use pressdx::proto::CreateProvinceReportRequest;
    use pressdx::proto::province_report_service_client::ProvinceReportServiceClient;

    let app = TestApp::spawn(backend).await;
    app.apply_catalog(&catalogue()).await;
    let province = app.token(Role::Province, Some("ha-nam")).await;
    let mut reports = ProvinceReportServiceClient::new(app.connection(Some(&province)));
    let draft = || CreateProvinceReportRequest {
        plan_code: "national-348-qd-ttg".into(),
        period_code: "2024".into(),
        ..Default::default()
    };

    // Before any self-assessment the report holds no maturity results, as before they existed.
    let before = reports.create_province_report(draft()).await.unwrap();
    let content = before.into_inner().content.unwrap();
    assert_eq!(content.maturity_results, None);

    // Hà Nam in 2024: bao-ha-nam yes, some, 50 = 7 (level 2), ptth-ha-nam yes, full, 80 = 10
    // (level 3); test-bao-ha-nam-2 sends nothing. bao-nam-dinh (Nam Định, level 3) is not
    // Hà Nam's. So: levels 0, 1, 1; two assessed, one missing.
    assess(
        &app,
        "bao-ha-nam",
        "2024",
        "V2024",
        shaped(true, "some", "50"),
    )
    .await;
    assess(
        &app,
        "ptth-ha-nam",
        "2024",
        "V2024",
        shaped(true, "full", "80"),
    )
    .await;
    assess(
        &app,
        "bao-nam-dinh",
        "2024",
        "V2024",
        shaped(true, "full", "80"),
    )
    .await;
    let refreshed = reports.create_province_report(draft()).await.unwrap();
    let content = refreshed.into_inner().content.unwrap();
    let maturity = content.maturity_results.unwrap();
    assert_eq!(
        (maturity.scope.as_str(), maturity.framework_code.as_str()),
        ("province:ha-nam", "V2024")
    );
    assert_eq!(levels(&maturity), [0, 1, 1]);
    let aggregate = maturity.aggregate.clone().unwrap();
    assert_eq!((aggregate.assessed, aggregate.missing), (2, 1));
    assert_eq!(maturity.missing_agency_codes, ["test-bao-ha-nam-2"]);
}
