//! The change feed, two servers writing to one database, and watchers hearing of each change.

use std::collections::HashSet;
use std::time::Duration;

use pressdx::proto::{
    GetTargetSummaryRequest, ListChangesRequest, TargetStatus, WatchSummariesRequest,
};
use tonic::Code;

use super::facts::{NATIONAL, find, fraction};
use crate::common::TestApp;
use crate::suite::fixtures::{new_id, request};

/// Every accepted submission appears in the change feed once, in order, with consecutive positions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_change_feed_lists_every_submission_once() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let mut agency = app.agency("bao-ptth-ninh-binh-2025").await;
    let mut accepted = Vec::new();
    for period in ["2025", "2026", "2027"] {
        for _revision in 0..2 {
            let receipt = agency
                .submit_report(request(
                    &new_id(),
                    "bao-ptth-ninh-binh-2025",
                    period,
                    crate::suite::fixtures::complete_report(),
                ))
                .await
                .unwrap()
                .into_inner();
            accepted.push(receipt.submission_id);
        }
    }
    let (positions, ids) = read_feed(&app, 0, 4).await;
    assert_eq!(positions, (1..=6).collect::<Vec<_>>());
    assert_eq!(ids, accepted);

    let empty = app
        .summaries
        .clone()
        .list_changes(ListChangesRequest {
            after_position: 6,
            page_size: 10,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(empty.changes.is_empty());
    assert_eq!((empty.last_position, empty.head_position), (6, 6));
    let status = app
        .summaries
        .clone()
        .list_changes(ListChangesRequest {
            after_position: -1,
            page_size: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
}

/// Pages through the change feed after `after`, returning positions and submission ids.
async fn read_feed(app: &TestApp, mut after: i64, page_size: i32) -> (Vec<i64>, Vec<i64>) {
    let (mut positions, mut ids) = (Vec::new(), Vec::new());
    loop {
        let page = app
            .summaries
            .clone()
            .list_changes(ListChangesRequest {
                after_position: after,
                page_size,
            })
            .await
            .unwrap()
            .into_inner();
        if page.changes.is_empty() {
            return (positions, ids);
        }
        positions.extend(page.changes.iter().map(|c| c.position));
        ids.extend(page.changes.iter().map(|c| c.submission_id));
        after = page.last_position;
    }
}

/// Two servers on one database, as two processes would be: concurrent submits through both, each
/// retried through the other server; a reader follows the change feed all along.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_a_database_without_losing_anything() {
    let backend = crate::BACKEND;
    let first = TestApp::spawn(backend).await;
    let second = TestApp::spawn_sharing(&first).await;
    let agencies = ["bao-ptth-ninh-binh-2025"];
    let periods = ["2025", "2026", "2027", "2028"];
    let writers_per_server = 6;

    let reader = {
        let summaries = first.summaries.clone();
        tokio::spawn(async move {
            // Follows the feed while the writers write, resuming after the last position seen.
            let mut after = 0;
            let mut seen = Vec::new();
            for _ in 0..400 {
                let page = summaries
                    .clone()
                    .list_changes(ListChangesRequest {
                        after_position: after,
                        page_size: 7,
                    })
                    .await
                    .unwrap()
                    .into_inner();
                seen.extend(page.changes.iter().map(|c| (c.position, c.submission_id)));
                after = page.last_position;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            seen
        })
    };

    let mut writers = Vec::new();
    for (server, retry_server) in [(&first, &second), (&second, &first)] {
        for writer in 0..writers_per_server {
            // The agency's credential is good on both servers: they share the database.
            let (mut client, mut retry_client) = (
                server.agency(agencies[0]).await,
                retry_server.agency(agencies[0]).await,
            );
            writers.push(tokio::spawn(async move {
                let mut ids = Vec::new();
                for (round, period) in periods.iter().enumerate() {
                    let mut report = crate::suite::fixtures::complete_report();
                    report.revenue_vnd = Some(30_000_000_000 + (writer * 100 + round) as i64);
                    let request = request(&new_id(), agencies[0], period, report);
                    let receipt = client
                        .submit_report(request.clone())
                        .await
                        .unwrap()
                        .into_inner();
                    // The client "timed out" and retries through the other server.
                    let retried = retry_client
                        .submit_report(request)
                        .await
                        .unwrap()
                        .into_inner();
                    assert!(retried.replayed);
                    assert_eq!(retried.submission_id, receipt.submission_id);
                    assert_eq!(retried.feed_position, receipt.feed_position);
                    ids.push((
                        receipt.period_code,
                        receipt.revision,
                        receipt.submission_id,
                        receipt.feed_position,
                    ));
                }
                ids
            }));
        }
    }
    let mut accepted = Vec::new();
    for writer in writers {
        accepted.extend(writer.await.unwrap());
    }
    let total = 2 * writers_per_server * periods.len();
    assert_eq!(accepted.len(), total);

    // No lost update: each period's revisions are exactly 1..=n, no duplicate.
    for period in periods {
        let mut revisions: Vec<i32> = accepted
            .iter()
            .filter(|a| a.0 == period)
            .map(|a| a.1)
            .collect();
        revisions.sort_unstable();
        assert_eq!(
            revisions,
            (1..=(2 * writers_per_server) as i32).collect::<Vec<_>>(),
            "{period}"
        );
    }

    // The concurrent reader missed nothing and saw nothing twice; reading again after the fact
    // agrees.
    let seen = reader.await.unwrap();
    let (positions, ids) = read_feed(&second, 0, 100).await;
    assert_eq!(positions, (1..=total as i64).collect::<Vec<_>>());
    let accepted_ids: HashSet<i64> = accepted.iter().map(|a| a.2).collect();
    assert_eq!(ids.iter().copied().collect::<HashSet<_>>(), accepted_ids);
    let seen_positions: Vec<i64> = seen.iter().map(|s| s.0).collect();
    assert_eq!(
        seen_positions,
        (1..=seen_positions.len() as i64).collect::<Vec<_>>(),
        "the live reader saw a prefix of the feed, in order, without gaps"
    );
    let seen_pairs: Vec<(i64, i64)> = positions.iter().copied().zip(ids.iter().copied()).collect();
    assert_eq!(
        &seen_pairs[..seen.len()],
        &seen[..],
        "positions never change meaning"
    );
    // Each receipt named its submission's place in the feed.
    let mut receipts: Vec<(i64, i64)> = accepted.iter().map(|a| (a.3, a.2)).collect();
    receipts.sort_unstable();
    assert_eq!(receipts, seen_pairs);

    // Both servers serve the same summary once they have applied the last receipt's position,
    // whichever server gave it.
    let head = total as i64;
    let ask = |app: &TestApp, min_data_as_of: i64| {
        let mut client = app.summaries.clone();
        async move {
            client
                .get_target_summary(GetTargetSummaryRequest {
                    plan_code: NATIONAL.into(),
                    target_code: "content_on_digital_platforms".into(),
                    period_code: "2026".into(),
                    scope: "country".into(),
                    min_data_as_of,
                    ..Default::default()
                })
                .await
        }
    };
    let (on_first, on_second) = (
        ask(&first, head).await.unwrap().into_inner(),
        ask(&second, head).await.unwrap().into_inner(),
    );
    assert_eq!(on_first.data_as_of, head);
    assert_eq!(on_first, on_second);
    // A position no receipt has named yet, and one that names nothing.
    let ahead = ask(&second, head + 1).await.unwrap_err();
    assert_eq!(ahead.code(), Code::OutOfRange);
    assert_eq!(
        crate::suite::fixtures::error_reason(&ahead),
        "DATA_AS_OF_AHEAD"
    );
    let negative = ask(&second, -1).await.unwrap_err();
    assert_eq!(negative.code(), Code::InvalidArgument);
    // Two processes writing at once leave a database that verifies.
    assert_eq!(first.store().verify_audit().await.unwrap().problems, vec![]);
    second.stop().await;
}

/// A watcher gets the summaries at once, then again when a submit changes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_hears_of_each_change() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    // The agency's credential is made before the watch starts, so that the watcher's first update
    // can only come from the report.
    let mut agency = app.agency("bao-ptth-ninh-binh-2025").await;
    let mut stream = app
        .summaries
        .clone()
        .watch_summaries(WatchSummariesRequest {
            plan_code: NATIONAL.into(),
            period_code: "2026".into(),
            scope: "province:ninh-binh-2025".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let initial = stream.message().await.unwrap().unwrap();
    let content = |message: &pressdx::proto::WatchSummariesResponse| {
        fraction(find(&message.summaries, "content_on_digital_platforms"))
    };
    assert_eq!(content(&initial), (0, 1));
    assert_eq!(
        find(&initial.summaries, "content_on_digital_platforms").status(),
        TargetStatus::NoData
    );

    agency
        .submit_report(request(
            &new_id(),
            "bao-ptth-ninh-binh-2025",
            "2026",
            crate::suite::fixtures::complete_report(),
        ))
        .await
        .unwrap();
    let update = tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("an update within 10 s")
        .unwrap()
        .unwrap();
    assert_eq!(content(&update), (1, 1));
    assert_eq!(update.data_as_of, 1);
}
