//! Served figures against figures computed another way: an independent recomputation on random
//! provinces, and figures a server kept up to date against those a fresh server computes.

use pressdx::proto::ListTargetSummariesRequest;
use proptest::prelude::*;

use super::facts::{Facts, NATIONAL, facts, find, fraction, submit, summaries};
use crate::common::draws::Draws;
use crate::common::{TEST_CATALOG, TestApp};
use crate::suite::fixtures::{new_id, request};

/// The facts of one agency's report; a security level only where the catalogue says it publishes
/// electronic press.
fn any_facts(electronic: bool) -> impl Strategy<Value = Facts> {
    let staff = (1..=40_i64).prop_flat_map(|headcount| (0..=headcount, Just(headcount)));
    let platforms = (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>());
    (platforms, 1..=1_000_i64, staff, 1..=5_i64).prop_map(
        move |((content, central, ai, converged), revenue, staff, security)| {
            facts(
                content,
                central,
                ai,
                converged,
                revenue,
                staff,
                electronic,
                electronic.then_some(security),
            )
        },
    )
}

/// Random provinces and reports: the served summary of every national target for 2024 equals a
/// straightforward recomputation from the reports as generated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summaries_equal_an_independent_recomputation() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    for seed in [7_u64, 1_234, 99_991, 424_242] {
        let mut random = Draws::seeded(seed);
        let province = format!("prop-{seed}");
        let agencies = random.draw(4..=12_usize);
        let mut catalog = format!(
            "{TEST_CATALOG}\n[[organization]]\ncode = \"{province}\"\nkind = \"province\"\nname = \"P\"\n"
        );
        let mut electronic = Vec::new();
        for index in 0..agencies {
            let is_electronic = random.draw(proptest::bool::weighted(0.6));
            electronic.push(is_electronic);
            catalog.push_str(&format!(
                "[[organization]]\ncode = \"{province}-{index}\"\nkind = \"press_agency\"\nname = \"A{index}\"\n\
                 province = \"{province}\"\nagency_type = \"magazine\"\npublishes_electronic_press = {is_electronic}\n"
            ));
        }
        app.apply_catalog(&catalog).await;

        // reports[year][agency]
        let mut reports: Vec<Vec<Option<Facts>>> = vec![vec![None; agencies], vec![None; agencies]];
        for (year_index, period) in ["2023", "2024"].into_iter().enumerate() {
            for index in 0..agencies {
                // Three agencies in four report.
                let drawn = proptest::option::weighted(0.75, any_facts(electronic[index]));
                let Some(generated) = random.draw(drawn) else {
                    continue;
                };
                submit(&app, &format!("{province}-{index}"), period, generated).await;
                reports[year_index][index] = Some(generated);
            }
        }

        // The recomputation, written out plainly.
        let current = &reports[1];
        let count = |test: &dyn Fn(&Facts) -> bool| {
            current.iter().flatten().filter(|f| test(f)).count() as i64
        };
        let all = agencies as i64;
        let electronic_count = electronic.iter().filter(|e| **e).count() as i64;
        let mut grew = 0;
        for (now, before) in reports[1].iter().zip(&reports[0]) {
            if let (Some(now), Some(before)) = (now, before) {
                // 10% or more, the national 2024 threshold.
                if (now.revenue - before.revenue) * 10 >= before.revenue {
                    grew += 1;
                }
            }
        }
        let trained: i64 = current.iter().flatten().map(|f| f.trained).sum();
        let employed: i64 = current.iter().flatten().map(|f| f.headcount).sum();
        let expected = [
            ("content_on_digital_platforms", count(&|f| f.content), all),
            ("data_platform_with_ai", count(&|f| f.central && f.ai), all),
            ("converged_newsroom", count(&|f| f.converged), all),
            ("revenue_growth", grew, all),
            ("staff_trained", trained, employed),
            (
                "information_security",
                count(&|f| f.security.unwrap_or(0) >= 3),
                electronic_count,
            ),
        ];

        let served = summaries(&app, "2024", &format!("province:{province}")).await;
        for (target, numerator, denominator) in expected {
            assert_eq!(
                fraction(find(&served, target)),
                (numerator, denominator),
                "seed {seed}, target {target}"
            );
        }
    }
}

/// Figures a server keeps up to date submission by submission equal the figures a fresh server
/// computes from scratch on the same database: over a seeded random sequence of reports and
/// corrections, across the 2025 merger (the merged province and agency, under both
/// boundaries, for both plans), and across a catalogue import in the middle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_kept_up_to_date_equal_figures_computed_afresh() {
    let backend = crate::BACKEND;
    use pressdx::proto::Boundaries;
    let app = TestApp::spawn(backend).await;
    // Until the merger (periods 2023, 2024), and from it (2025, 2026).
    let before = [
        "bao-nam-dinh",
        "ptth-nam-dinh",
        "bao-ha-nam",
        "ptth-ha-nam",
        "bao-ninh-binh",
        "ptth-ninh-binh",
    ];
    let after = ["bao-ptth-ninh-binh-2025"];
    let views: Vec<ListTargetSummariesRequest> = [NATIONAL, "nam-dinh-cds-bao-chi"]
        .into_iter()
        .flat_map(|plan| {
            [
                ("country", "2026"),
                ("province:ninh-binh-2025", "2026"),
                ("province:ninh-binh-2025", "2025"),
                ("province:nam-dinh", "2024"),
                ("agency:bao-ptth-ninh-binh-2025", "2026"),
            ]
            .into_iter()
            .flat_map(move |(scope, period)| {
                [Boundaries::Historical, Boundaries::Current].map(|boundaries| {
                    ListTargetSummariesRequest {
                        plan_code: plan.into(),
                        period_code: period.into(),
                        scope: scope.into(),
                        boundaries: boundaries.into(),
                        as_of: if boundaries == Boundaries::Current {
                            "2026-06-01".into()
                        } else {
                            String::new()
                        },
                        ..Default::default()
                    }
                })
            })
        })
        .collect();
    let read_all = |app: &TestApp| {
        let (summaries, views) = (app.summaries.clone(), views.clone());
        async move {
            let mut figures = Vec::new();
            for view in views {
                let response = summaries
                    .clone()
                    .list_target_summaries(view)
                    .await
                    .unwrap()
                    .into_inner();
                figures.push(response.summaries);
            }
            figures
        }
    };
    // A number below `below`, drawn with a fixed seed: the same sequence on every run and backend.
    let mut random = Draws::seeded(0x5eed);
    let mut next = move |below: u64| random.draw(0..below);
    for step in 1..=36 {
        let (agency, period) = if next(3) == 0 {
            (after[0], ["2025", "2026"][next(2) as usize])
        } else {
            (
                before[next(before.len() as u64) as usize],
                ["2023", "2024"][next(2) as usize],
            )
        };
        let mut report = crate::suite::fixtures::complete_report();
        report.converged_newsroom = Some(next(2) == 0);
        report.central_data_platform = Some(next(2) == 0);
        report.ai_in_operations = Some(next(2) == 0);
        report.revenue_vnd = Some(20_000_000_000 + next(20) as i64 * 1_000_000_000);
        report.security_level = Some(next(5) as i64 + 1);
        if let Some(trained) = report.trained.as_mut() {
            trained.editors = Some(next(21) as i64);
        }
        if next(4) == 0 {
            report.content_on_digital_platforms = Some(false);
            report.digital_platforms.clear();
        }
        app.submit(request(&new_id(), agency, period, report))
            .await
            .unwrap();
        if step == 12 {
            // A new agency joins the merged province: the catalogue changes under the figures.
            app.apply_catalog(&format!(
                "{TEST_CATALOG}\n[[organization]]\ncode = \"tap-chi-moi\"\nkind = \"press_agency\"\n\
                 name = \"Tạp chí Mới\"\nvalid_from = \"2025-07-01\"\nprovince = \"ninh-binh-2025\"\n\
                 governing_body = \"tinh-uy-ninh-binh-2025\"\nagency_type = \"magazine\"\n\
                 publishes_electronic_press = false\nnote = \"a test agency\"\nillustrative = true\n"
            ))
            .await;
        }
        // The server's figures follow every submission.
        let kept = read_all(&app).await;
        if step % 12 == 0 {
            let fresh = TestApp::spawn_sharing(&app).await;
            let afresh = read_all(&fresh).await;
            for (view, (kept, afresh)) in views.iter().zip(kept.iter().zip(&afresh)) {
                assert!(
                    kept == afresh,
                    "after step {step}, {} {} {} {:?}: kept {kept:#?}\nafresh {afresh:#?}",
                    view.plan_code,
                    view.period_code,
                    view.scope,
                    view.boundaries()
                );
            }
            fresh.stop().await;
        }
    }
}
