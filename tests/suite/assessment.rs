//! MaturityService: an agency's self-assessment under the framework in force, every violation at
//! once, scored by hand on a small framework, with request ids, revisions and the audit log.

use pressdx::domain::access::Role;
use pressdx::proto::maturity_service_client::MaturityServiceClient;
use pressdx::proto::{
    AppraiseSelfAssessmentRequest, CriterionAnswer, EvidenceReference, GetSelfAssessmentRequest,
    SubmitSelfAssessmentRequest, criterion_answer::Answer,
};
use tonic::Code;

use super::fixtures::{error_reason, new_id, violated_fields};
use crate::common::{TEST_CATALOG, TestApp};

const AGENCY: &str = "bao-ptth-ninh-binh-2025";

/// A 10-point framework for 2026: P1 (6 points: a yes/no worth 4, a graded criterion worth 2) and
/// P2 (4 points: a percentage in bands), levels from 0, 5 and 8.
pub(super) const FRAMEWORK_2026: &str = r#"
[[maturity_framework]]
code = "T2026"
name = "A test framework"
periods = ["2026"]
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
block = [{ code = "all", name = "All", agency_types = [
  "central_newspaper", "local_newspaper", "magazine", "scientific_journal",
  "radio_tv", "local_newspaper_radio_tv",
] }]

[[maturity_framework.criterion]]
code = "P1.C1.1"
component = "P1.C1"
label = "a converged newsroom"
points = 4
scoring = "yes_no"

[[maturity_framework.criterion]]
code = "P1.C1.2"
component = "P1.C1"
label = "a strategy"
points = 2
scoring = "graded"
choices = [{ code = "none", points = 0 }, { code = "some", points = 1 }, { code = "full", points = 2 }]

[[maturity_framework.criterion]]
code = "P2.C1.1"
component = "P2.C1"
label = "share of content online"
points = 4
scoring = "numeric_bands"
unit = "%"
bands = [{ from = 0, until = 50, points = 0 }, { from = 50, until = 80, points = 2 }, { from = 80, points = 4 }]
"#;

fn answer(criterion: &str, answer: Answer) -> CriterionAnswer {
    CriterionAnswer {
        criterion_code: criterion.into(),
        answer: Some(answer),
    }
}

fn evidence(criterion: &str) -> EvidenceReference {
    EvidenceReference {
        criterion_code: criterion.into(),
        title: format!("Decision on {criterion}"),
        link: "https://example.vn/evidence.pdf".into(),
        document_id: String::new(),
        sha256: "ab".repeat(32),
    }
}

pub(super) fn assessment(request_id: &str, share_online: &str) -> SubmitSelfAssessmentRequest {
    SubmitSelfAssessmentRequest {
        request_id: request_id.into(),
        agency_code: AGENCY.into(),
        period_code: "2026".into(),
        framework_code: "T2026".into(),
        answers: vec![
            answer("P1.C1.1", Answer::Yes(true)),
            answer("P1.C1.2", Answer::Choice("some".into())),
            answer("P2.C1.1", Answer::Number(share_online.into())),
        ],
        evidence: vec![
            evidence("P1.C1.1"),
            evidence("P1.C1.2"),
            evidence("P2.C1.1"),
        ],
        validate_only: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_assessment_is_checked_scored_appraised_kept_and_audited() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    app.apply_catalog(&format!("{TEST_CATALOG}\n{FRAMEWORK_2026}"))
        .await;
    let token = app.agency_token(AGENCY).await;
    let mut agency = MaturityServiceClient::new(app.connection(Some(&token)));
    let latest = GetSelfAssessmentRequest {
        agency_code: AGENCY.into(),
        period_code: "2026".into(),
        revision: 0,
    };

    // Every problem at once, and nothing stored.
    let mut broken = assessment(&new_id(), "eighty");
    broken.answers.push(answer("P9.C9.9", Answer::Yes(true)));
    broken.answers[1] = answer("P1.C1.2", Answer::Choice("most".into()));
    broken.evidence[0].sha256 = "not a hash".into();
    let refused = agency.submit_self_assessment(broken).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    let mut fields = violated_fields(&refused);
    fields.sort();
    assert_eq!(
        fields,
        [
            "answers[P1.C1.2].choice",
            "answers[P2.C1.1].number",
            "answers[P9.C9.9]",
            "evidence[P1.C1.1].sha256",
        ]
    );
    // Answers prepared against another year's framework are refused, never scored against this
    // one.
    let mut last_year = assessment(&new_id(), "80");
    last_year.framework_code = "V2024".into();
    let refused = agency.submit_self_assessment(last_year).await.unwrap_err();
    assert_eq!(violated_fields(&refused), ["framework_code"]);
    let none = agency
        .get_self_assessment(latest.clone())
        .await
        .unwrap_err();
    assert_eq!(error_reason(&none), "SELF_ASSESSMENT_NOT_FOUND");

    // Worked out by hand: yes 4 + "some" 1 + 80% in the top band 4 = 9 of 10, level 3 (from 8).
    let request_id = new_id();
    let first = agency
        .submit_self_assessment(assessment(&request_id, "80"))
        .await
        .unwrap()
        .into_inner();
    let score = first.score.clone().unwrap();
    assert_eq!((first.revision, first.replayed), (1, false));
    assert_eq!(
        (
            score.total_hundredths,
            score.maximum_hundredths,
            score.level_rank
        ),
        (900, 1000, 3)
    );
    let pillars: Vec<(&str, i32, i32)> = score
        .pillars
        .iter()
        .map(|pillar| {
            (
                pillar.code.as_str(),
                pillar.points_hundredths,
                pillar.maximum_hundredths,
            )
        })
        .collect();
    assert_eq!(pillars, [("P1", 500, 600), ("P2", 400, 400)]);

    // A retry replays; the same id with other content is refused.
    let replayed = agency
        .submit_self_assessment(assessment(&request_id, "80"))
        .await
        .unwrap()
        .into_inner();
    assert!(replayed.replayed);
    assert_eq!(replayed.id, first.id);
    let reused = agency
        .submit_self_assessment(assessment(&request_id, "81"))
        .await
        .unwrap_err();
    assert_eq!(
        (reused.code(), error_reason(&reused).as_str()),
        (Code::AlreadyExists, "REQUEST_ID_REUSED")
    );

    // A revision: 79.99% falls in the middle band, 4 + 1 + 2 = 7, level 2 (from 5).
    let second = agency
        .submit_self_assessment(assessment(&new_id(), "79.99"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.revision, 2);
    let read = agency
        .get_self_assessment(latest.clone())
        .await
        .unwrap()
        .into_inner();
    let receipt = read.receipt.unwrap();
    let score = receipt.score.unwrap();
    assert_eq!(
        (
            receipt.revision,
            score.total_hundredths,
            score.level_name.as_str()
        ),
        (2, 700, "Fair")
    );
    assert_eq!(read.answers.len(), 3);
    let earlier = agency
        .get_self_assessment(GetSelfAssessmentRequest {
            revision: 1,
            ..latest.clone()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        earlier.receipt.unwrap().score.unwrap().total_hundredths,
        900
    );

    // The council appraises: the province gives the converged newsroom 2 of its 4 points. The
    // self-assessed 7 stays; the final score is 7 - 4 + 2 = 5, exactly level 2's cut-off.
    let province = app.token(Role::Province, Some("ninh-binh-2025")).await;
    let mut council = MaturityServiceClient::new(app.connection(Some(&province)));
    let appraise = |id: i64, criterion: &str, points: &str| AppraiseSelfAssessmentRequest {
        self_assessment_id: id,
        criterion_code: criterion.into(),
        points: points.into(),
        reason: "the newsroom merged its desks only in October".into(),
    };
    let refused = council
        .appraise_self_assessment(appraise(second.id, "P1.C1.1", "4.01"))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["points"]);
    let refused = council
        .appraise_self_assessment(appraise(second.id, "P9.C9.9", "1"))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["criterion_code"]);
    let refused = council
        .appraise_self_assessment(appraise(first.id, "P1.C1.1", "2"))
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), error_reason(&refused).as_str()),
        (Code::FailedPrecondition, "REVISION_SUPERSEDED")
    );
    let appraisal = council
        .appraise_self_assessment(appraise(second.id, "P1.C1.1", "2"))
        .await
        .unwrap()
        .into_inner();
    assert!(
        appraisal
            .appraised_by
            .starts_with("province ninh-binh-2025")
    );
    let appraised = council
        .get_self_assessment(latest.clone())
        .await
        .unwrap()
        .into_inner();
    let self_assessed = appraised.receipt.unwrap().score.unwrap();
    let final_score = appraised.final_score.unwrap();
    assert_eq!(self_assessed.total_hundredths, 700);
    assert_eq!(
        (final_score.total_hundredths, final_score.level_rank),
        (500, 2)
    );
    assert_eq!(appraised.appraisals.len(), 1);
    // A later appraisal of the same criterion replaces it: 7 - 4 + 3 = 6.
    council
        .appraise_self_assessment(appraise(second.id, "P1.C1.1", "3"))
        .await
        .unwrap();
    let reappraised = agency
        .get_self_assessment(latest.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reappraised.final_score.unwrap().total_hundredths, 600);
    assert_eq!(reappraised.appraisals[0].points_hundredths, 300);

    // Its province reads it; a province that no longer exists reaches nothing in 2026.
    council.get_self_assessment(latest.clone()).await.unwrap();
    let stranger = app.token(Role::Province, Some("ha-nam")).await;
    let refused = MaturityServiceClient::new(app.connection(Some(&stranger)))
        .get_self_assessment(latest)
        .await
        .unwrap_err();
    assert_eq!(error_reason(&refused), "OUT_OF_SCOPE");

    let verification = app.store().verify_audit().await.unwrap();
    assert!(
        verification.problems.is_empty(),
        "{:?}",
        verification.problems
    );
}
