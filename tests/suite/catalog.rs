//! CatalogService and health, end to end, against the default catalogue.

use pressdx::proto::{
    GetOrganizationRequest, ListIndicatorsRequest, ListOrganizationsRequest, ListPeriodsRequest,
    ListPlansRequest, OrganizationKind, TargetMeasure, TargetPopulation,
};
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use super::fixtures::{NEW_AGENCY, OLD_AGENCY, complete_report, error_reason, new_id, request};
use crate::common::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periods_run_from_2023_to_2030_with_their_deadlines() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let periods = app
        .catalog
        .clone()
        .list_periods(ListPeriodsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .periods;
    let codes: Vec<_> = periods.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "2023", "2024", "2025", "2026", "2027", "2028", "2029", "2030"
        ]
    );
    let p2025 = &periods[2];
    assert_eq!(
        (p2025.window_start.as_str(), p2025.window_end.as_str()),
        ("2024-12-15", "2025-12-14")
    );
    // 2025-11-15T00:00:00+07:00
    assert_eq!(p2025.deadline.unwrap().seconds, 1_763_139_600);
}

async fn agencies_on(app: &TestApp, as_of: &str) -> Vec<String> {
    app.catalog
        .clone()
        .list_organizations(ListOrganizationsRequest {
            as_of: as_of.into(),
            kind: OrganizationKind::PressAgency.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .organizations
        .into_iter()
        .map(|org| org.code)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organisations_are_listed_as_they_stood_on_a_date() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    assert_eq!(
        agencies_on(&app, "2024-06-01").await,
        [
            "bao-ha-nam",
            "bao-nam-dinh",
            "bao-ninh-binh",
            "ptth-ha-nam",
            "ptth-nam-dinh",
            "ptth-ninh-binh"
        ]
    );
    // After Nam Định's radio-TV joined Báo Nam Định and Ninh Bình's outlets merged.
    assert_eq!(
        agencies_on(&app, "2025-06-01").await,
        [
            "bao-ha-nam",
            "bao-nam-dinh",
            "bao-ptth-ninh-binh",
            "ptth-ha-nam"
        ]
    );
    assert_eq!(agencies_on(&app, "2026-01-01").await, [NEW_AGENCY]);

    // Provinces, a page at a time.
    let mut catalog = app.catalog.clone();
    let first = catalog
        .list_organizations(ListOrganizationsRequest {
            as_of: "2024-06-01".into(),
            kind: OrganizationKind::Province.into(),
            page_size: 2,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let second = catalog
        .list_organizations(ListOrganizationsRequest {
            as_of: "2024-06-01".into(),
            kind: OrganizationKind::Province.into(),
            page_size: 2,
            page_token: first.next_page_token.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let codes: Vec<_> = first
        .organizations
        .iter()
        .chain(&second.organizations)
        .map(|org| org.code.as_str())
        .collect();
    assert_eq!(codes, ["ha-nam", "nam-dinh", "ninh-binh"]);
    assert!(second.next_page_token.is_empty());

    // Agencies of one province on a date.
    let nam_dinh = catalog
        .list_organizations(ListOrganizationsRequest {
            as_of: "2024-06-01".into(),
            kind: OrganizationKind::PressAgency.into(),
            province_code: "nam-dinh".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let codes: Vec<_> = nam_dinh
        .organizations
        .iter()
        .map(|org| org.code.as_str())
        .collect();
    assert_eq!(codes, [OLD_AGENCY, "ptth-nam-dinh"]);

    let status = catalog
        .list_organizations(ListOrganizationsRequest {
            as_of: "1 July 2025".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_shows_its_history_and_links() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let mut catalog = app.catalog.clone();
    let bao_nam_dinh = catalog
        .get_organization(GetOrganizationRequest {
            code: OLD_AGENCY.into(),
            as_of: "2024-01-01".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bao_nam_dinh.valid_until, "2025-07-01");
    assert_eq!(bao_nam_dinh.current.as_ref().unwrap().name, "Báo Nam Định");
    assert_eq!(
        bao_nam_dinh.current.as_ref().unwrap().province_code,
        "nam-dinh"
    );
    assert_eq!(
        bao_nam_dinh.history.len(),
        2,
        "before and after taking over the radio-TV station"
    );
    let predecessors: Vec<_> = bao_nam_dinh
        .predecessors
        .iter()
        .map(|l| l.organization_code.as_str())
        .collect();
    assert_eq!(predecessors, ["ptth-nam-dinh"]);
    let successors: Vec<_> = bao_nam_dinh
        .successors
        .iter()
        .map(|l| l.organization_code.as_str())
        .collect();
    assert_eq!(successors, [NEW_AGENCY]);

    let successor = catalog
        .get_organization(GetOrganizationRequest {
            code: NEW_AGENCY.into(),
            as_of: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(successor.illustrative, "inferred facts are marked");
    assert_eq!(successor.current.unwrap().province_code, "ninh-binh-2025");
    assert_eq!(successor.predecessors.len(), 4);

    let status = catalog
        .get_organization(GetOrganizationRequest {
            code: "nowhere".into(),
            as_of: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_carry_their_targets_and_milestones() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let plans = app
        .catalog
        .clone()
        .list_plans(ListPlansRequest::default())
        .await
        .unwrap()
        .into_inner()
        .plans;
    assert_eq!(plans.len(), 2);
    let national = plans
        .iter()
        .find(|p| p.decision == "348/QĐ-TTg")
        .expect("the national plan");
    assert!(national.province_code.is_empty());
    let target = |code: &str| national.targets.iter().find(|t| t.code == code).unwrap();

    let revenue = target("revenue_growth");
    let milestones: Vec<_> = revenue
        .milestones
        .iter()
        .map(|m| (m.year, m.required_share_bp, m.parameter_bp))
        .collect();
    // 781/QĐ-BTTTT: 5% of agencies grow >= 5% in 2023, 15% >= 10% in 2024, 30% >= 20% in 2025;
    // 348/QĐ-TTg: 50% >= 20% by 2030.
    assert_eq!(
        milestones,
        [
            (2023, 500, Some(500)),
            (2024, 1500, Some(1000)),
            (2025, 3000, Some(2000)),
            (2030, 5000, Some(2000))
        ]
    );

    let security = target("information_security");
    assert_eq!(
        security.population(),
        TargetPopulation::ElectronicPressAgencies
    );
    let trained = target("staff_trained");
    assert_eq!(trained.measure(), TargetMeasure::PeopleShare);
    let content: Vec<_> = target("content_on_digital_platforms")
        .milestones
        .iter()
        .map(|m| (m.year, m.required_share_bp))
        .collect();
    assert_eq!(
        content,
        [(2023, 3000), (2024, 5000), (2025, 7000), (2030, 10000)]
    );

    let nam_dinh = plans
        .iter()
        .find(|p| p.province_code == "nam-dinh")
        .expect("the Nam Định plan");
    let data_ai = nam_dinh
        .targets
        .iter()
        .find(|t| t.code == "data_platform_with_ai")
        .unwrap();
    assert!(
        data_ai.rule.contains("central_data_platform") && data_ai.rule.contains("ai_in_operations")
    );
    let shares: Vec<_> = data_ai
        .milestones
        .iter()
        .map(|m| (m.year, m.required_share_bp))
        .collect();
    assert_eq!(shares, [(2025, 5000), (2030, 10000)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indicators_describe_every_report_field() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let indicators = app
        .catalog
        .clone()
        .list_indicators(ListIndicatorsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .indicators;
    assert_eq!(
        indicators.len(),
        pressdx::domain::indicator::REPORT_FIELDS.len()
    );
    let security = indicators
        .iter()
        .find(|i| i.code == "security_level")
        .unwrap();
    assert_eq!((security.min, security.max), (Some(1), Some(5)));
    let revenue = indicators.iter().find(|i| i.code == "revenue_vnd").unwrap();
    assert_eq!(revenue.unit, "VND");
    assert!(revenue.required);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_serving() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", app.address))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = HealthClient::new(channel);
    for service in [
        "",
        "pressdx.v1.SubmissionService",
        "pressdx.v1.CatalogService",
    ] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status();
        assert_eq!(status, ServingStatus::Serving, "{service:?}");
    }
    app.stop().await;
}

/// An import withdraws an illustrative organisation: it no longer exists at any date, counts in
/// no figure and takes no report, while the audit chain still holds; one with reports, or one
/// something still refers to, is refused and nothing of the import is applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_withdraws_an_illustrative_organisation() {
    let backend = crate::BACKEND;
    use crate::common::TEST_CATALOG;
    use pressdx::catalog_file;
    use pressdx::proto::{GetOrganizationRequest, ListTargetSummariesRequest};
    use pressdx::store::CatalogSource;

    let app = TestApp::spawn(backend).await;
    app.submit(request(&new_id(), OLD_AGENCY, "2024", complete_report()))
        .await
        .unwrap();
    let store = app.store().clone();
    let apply = |text: String| {
        let store = store.clone();
        async move {
            let catalog = catalog_file::parse(&text).unwrap_or_else(|error| panic!("{error:?}"));
            let source = CatalogSource {
                text: &text,
                applied_by: "the test",
                accept_unrecorded_changes: false,
            };
            store.apply_catalog(&catalog, &source, false).await
        }
    };
    // The default catalogue without the illustrative merged agency of 2025, which it withdraws.
    let start = TEST_CATALOG
        .find("[[organization]]\ncode = \"bao-ptth-ninh-binh-2025\"")
        .unwrap();
    let end = start + TEST_CATALOG[start..].find("\n# ---- Plans").unwrap();
    let without = format!("{}{}", &TEST_CATALOG[..start], &TEST_CATALOG[end..]);
    let withdrawing = format!(
        "{without}\n[[withdrawn]]\ncode = \"bao-ptth-ninh-binh-2025\"\nnote = \"illustrative; the real catalogue names the merged outlet\"\n"
    );
    let import = apply(withdrawing.clone()).await.unwrap();
    assert_eq!(import.withdrawn, ["bao-ptth-ninh-binh-2025"]);
    let again = apply(withdrawing).await.unwrap();
    assert!(
        !again.changed_anything(),
        "withdrawing twice changes nothing"
    );

    let missing = app
        .catalog
        .clone()
        .get_organization(GetOrganizationRequest {
            code: "bao-ptth-ninh-binh-2025".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    // 2026 had no other agency: nobody is expected to report.
    let summaries = app
        .summaries
        .clone()
        .list_target_summaries(ListTargetSummariesRequest {
            plan_code: "national-348-qd-ttg".into(),
            period_code: "2026".into(),
            scope: "country".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .summaries;
    assert_eq!(summaries[0].expected_agencies, 0);
    assert_eq!(app.store().verify_audit().await.unwrap().problems, vec![]);

    // An agency with a stored report is retired, never withdrawn; a province its agencies still
    // belong to cannot go either. (The database's catalogue, with the organisation taken out and
    // withdrawn: the import's file would refuse to withdraw what it still defines.)
    for (code, why) in [
        (OLD_AGENCY, "report(s) are stored for it"),
        ("nam-dinh", "still refer(s) to it"),
    ] {
        let mut catalog = app.store().load_catalog().await.unwrap();
        catalog
            .organizations
            .retain(|organization| organization.code != code);
        catalog
            .withdrawn
            .push(pressdx::domain::catalog::Withdrawal {
                code: code.into(),
                note: "a test".into(),
            });
        let source = CatalogSource {
            text: "",
            applied_by: "the test",
            accept_unrecorded_changes: false,
        };
        let Err(error) = app.store().apply_catalog(&catalog, &source, false).await else {
            panic!("withdrawing {code} was allowed");
        };
        assert!(error.to_string().contains(why), "{code}: {error}");
    }
    assert_eq!(app.store().verify_audit().await.unwrap().problems, vec![]);
}

/// Lists every maturity framework, a page at a time.
async fn all_maturity_frameworks(app: &TestApp) -> Vec<pressdx::proto::MaturityFramework> {
    use pressdx::proto::ListMaturityFrameworksRequest;
    let mut frameworks = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = app
            .catalog
            .clone()
            .list_maturity_frameworks(ListMaturityFrameworksRequest {
                page_size: 2,
                page_token: page_token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        frameworks.extend(page.frameworks);
        if page.next_page_token.is_empty() {
            return frameworks;
        }
        page_token = page.next_page_token;
    }
}

/// The shipped frameworks, checked against facts worked out by hand from docs/MATURITY.md.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maturity_frameworks_are_served_with_what_is_known() {
    let backend = crate::BACKEND;
    use pressdx::proto::maturity_criterion::Scoring;
    use pressdx::proto::{AgencyType, GetMaturityFrameworkRequest, ListMaturityFrameworksRequest};

    let app = TestApp::spawn(backend).await;
    let frameworks = all_maturity_frameworks(&app).await;
    let codes: Vec<_> = frameworks.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["V2023", "V2024", "V2025"]);

    for (framework, decision, period, criteria, blocks) in [
        (&frameworks[0], "951/QĐ-BTTTT", "2023", 42, 4),
        (&frameworks[1], "1827/QĐ-BTTTT", "2024", 43, 5),
        (&frameworks[2], "3560/QĐ-BVHTTDL", "2025", 43, 5),
    ] {
        let code = &framework.code;
        assert_eq!(framework.decision, decision, "{code}");
        assert_eq!(framework.period_codes, [period], "{code}");
        assert_eq!(framework.points_hundredths, 10000, "{code}");
        let pillars: Vec<_> = framework
            .pillars
            .iter()
            .map(|pillar| (pillar.code.as_str(), pillar.points_hundredths))
            .collect();
        assert_eq!(
            pillars,
            [
                ("P1", 1800),
                ("P2", 2400),
                ("P3", 2000),
                ("P4", 2300),
                ("P5", 1500)
            ],
            "{code}"
        );
        assert_eq!(framework.components.len(), 10, "{code}");
        assert_eq!(framework.criteria.len(), criteria, "{code}");
        // Each pillar's criteria add up to the pillar's points.
        for pillar in &framework.pillars {
            let sum: i32 = framework
                .criteria
                .iter()
                .filter(|criterion| criterion.pillar_code == pillar.code)
                .map(|criterion| criterion.points_hundredths)
                .sum();
            assert_eq!(sum, pillar.points_hundredths, "{code} {}", pillar.code);
        }
        // Nothing below pillar level was read in a decision.
        assert!(
            framework.components.iter().all(|c| c.illustrative),
            "{code}"
        );
        assert!(framework.criteria.iter().all(|c| c.illustrative), "{code}");
        let levels: Vec<_> = framework
            .levels
            .iter()
            .map(|level| (level.rank, level.name.as_str()))
            .collect();
        assert_eq!(
            levels,
            [
                (1, "Yếu"),
                (2, "Trung bình"),
                (3, "Khá"),
                (4, "Tốt"),
                (5, "Xuất sắc")
            ],
            "{code}"
        );
        assert_eq!(framework.levels[0].from_points_hundredths, 0, "{code}");
        assert_eq!(framework.levels[1].from_points_hundredths, 5000, "{code}");
        assert_eq!(framework.blocks.len(), blocks, "{code}");
        // Every agency type is ranked in exactly one block.
        let mut types: Vec<i32> = framework
            .blocks
            .iter()
            .flat_map(|block| block.agency_types.iter().copied())
            .collect();
        types.sort_unstable();
        assert_eq!(types, (1..=6).collect::<Vec<_>>(), "{code}");
    }

    let [v2023, v2024, v2025] = &frameworks[..] else {
        unreachable!()
    };
    // 951's P2 holds 19 criteria worth 24 points (two press sources).
    assert_eq!(
        v2023
            .criteria
            .iter()
            .filter(|criterion| criterion.pillar_code == "P2")
            .count(),
        19
    );
    assert!(!v2023.illustrative && !v2024.illustrative && v2025.illustrative);
    assert!(v2023.pillars.iter().all(|pillar| !pillar.illustrative));
    assert!(v2025.pillars.iter().all(|pillar| pillar.illustrative));
    // Excellent: "above 80" for 951 on one ambiguous source, 90 and above for 1827.
    let excellent = |framework: &pressdx::proto::MaturityFramework| {
        let level = &framework.levels[4];
        (level.from_points_hundredths, level.illustrative)
    };
    assert_eq!(excellent(v2023), (8000, true));
    assert_eq!(excellent(v2024), (9000, false));
    assert!(v2024.levels[2].illustrative && v2024.levels[3].illustrative);
    let magazines = v2024
        .blocks
        .iter()
        .find(|block| block.agency_types.contains(&AgencyType::Magazine.into()))
        .unwrap();
    assert_eq!(magazines.code, "magazines");

    // Every scoring kind is shipped; each graded or banded criterion reaches exactly its points.
    let mut kinds = std::collections::BTreeSet::new();
    for criterion in &v2023.criteria {
        match criterion.scoring.as_ref().unwrap() {
            Scoring::YesNo(_) => {
                kinds.insert("yes_no");
            }
            Scoring::Graded(graded) => {
                kinds.insert("graded");
                let best = graded.choices.iter().map(|c| c.points_hundredths).max();
                assert_eq!(
                    best,
                    Some(criterion.points_hundredths),
                    "{}",
                    criterion.code
                );
            }
            Scoring::NumericBands(banded) => {
                kinds.insert("numeric_bands");
                assert_eq!(banded.unit, "%");
                let bounds: Vec<_> = banded
                    .bands
                    .iter()
                    .map(|band| (band.from_hundredths, band.until_hundredths))
                    .collect();
                assert_eq!(bounds, [(0, Some(4000)), (4000, Some(7000)), (7000, None)]);
            }
        }
    }
    assert_eq!(kinds.len(), 3, "{kinds:?}");

    // Which framework governs a period; 2026 has none yet.
    let governing = |period: &'static str| {
        let mut catalog = app.catalog.clone();
        async move {
            catalog
                .list_maturity_frameworks(ListMaturityFrameworksRequest {
                    period_code: period.into(),
                    ..Default::default()
                })
                .await
                .map(|response| {
                    response
                        .into_inner()
                        .frameworks
                        .into_iter()
                        .map(|framework| framework.code)
                        .collect::<Vec<_>>()
                })
        }
    };
    assert_eq!(governing("2024").await.unwrap(), ["V2024"]);
    assert_eq!(governing("2025").await.unwrap(), ["V2025"]);
    assert!(governing("2026").await.unwrap().is_empty());
    let unknown = governing("1999").await.unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(error_reason(&unknown), "PERIOD_NOT_FOUND");

    let got = app
        .catalog
        .clone()
        .get_maturity_framework(GetMaturityFrameworkRequest {
            code: "V2024".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(&got, v2024);
    let missing = app
        .catalog
        .clone()
        .get_maturity_framework(GetMaturityFrameworkRequest {
            code: "V2042".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(error_reason(&missing), "MATURITY_FRAMEWORK_NOT_FOUND");
    let unnamed = app
        .catalog
        .clone()
        .get_maturity_framework(GetMaturityFrameworkRequest::default())
        .await
        .unwrap_err();
    assert_eq!(unnamed.code(), Code::InvalidArgument);
}

/// An import that changes a framework replaces it, records it in the audit log's catalogue state,
/// and an edit of a stored framework behind pressdx's back is found by `audit verify`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maturity_framework_import_is_recorded_and_verified() {
    let backend = crate::BACKEND;
    use crate::common::TEST_CATALOG;
    use pressdx::catalog_file;
    use pressdx::proto::GetMaturityFrameworkRequest;
    use pressdx::store::CatalogSource;
    use sea_orm::{ConnectionTrait, Database};

    let app = TestApp::spawn(backend).await;
    assert_eq!(app.store().verify_audit().await.unwrap().problems, vec![]);

    // Someone raises a pillar's points in the stored V2024 behind pressdx's back.
    let database = Database::connect(&app.database_url).await.unwrap();
    let edit = |from: &'static str, to: &'static str| {
        let database = database.clone();
        async move {
            database
                .execute_unprepared(&format!(
                    "UPDATE maturity_framework SET framework = replace(framework, '{from}', '{to}') \
                     WHERE code = 'V2024'"
                ))
                .await
                .unwrap()
        }
    };
    edit("\"points\":1800", "\"points\":1900").await;
    let problems = app.store().verify_audit().await.unwrap().problems;
    assert!(
        problems
            .iter()
            .any(|p| p.problem.contains("maturity_frameworks.V2024")),
        "{problems:#?}"
    );
    edit("\"points\":1900", "\"points\":1800").await;
    assert_eq!(app.store().verify_audit().await.unwrap().problems, vec![]);

    // The real decision is read: the import replaces V2025 and nothing else.
    let confirmed = TEST_CATALOG.replace(
        "note = \"3560's levels were not read: 1827's carried over\"",
        "note = \"read in 3560's appendix\"",
    );
    assert_ne!(confirmed, *TEST_CATALOG);
    let catalog = catalog_file::parse(&confirmed).unwrap_or_else(|error| panic!("{error:?}"));
    let source = CatalogSource {
        text: &confirmed,
        applied_by: "the test",
        accept_unrecorded_changes: false,
    };
    let import = app
        .store()
        .apply_catalog(&catalog, &source, false)
        .await
        .unwrap();
    assert_eq!(import.maturity_frameworks.changed, ["V2025"]);
    assert_eq!(import.maturity_frameworks.unchanged, 2);
    assert!(import.summary().contains("maturity frameworks +0 ~1"));
    assert_eq!(app.store().verify_audit().await.unwrap().problems, vec![]);
    let again = app
        .store()
        .apply_catalog(&catalog, &source, false)
        .await
        .unwrap();
    assert!(!again.changed_anything(), "the same catalogue twice");

    let v2025 = app
        .catalog
        .clone()
        .get_maturity_framework(GetMaturityFrameworkRequest {
            code: "V2025".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        v2025
            .levels
            .iter()
            .all(|level| level.note == "read in 3560's appendix")
    );
}
