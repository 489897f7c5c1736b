//! The transport's limits and encryption: oversized messages and bursts, deadlines, TLS and
//! mutual TLS.

use std::time::Duration;

use pressdx::domain::access::Role;
use pressdx::proto::catalog_service_client::CatalogServiceClient;
use pressdx::proto::submission_service_client::SubmissionServiceClient;
use pressdx::proto::{ListPeriodsRequest, ListPlansRequest, ListTargetSummariesRequest};
use pressdx::store::{CredentialKind, NewCredential, secret_sha256};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

use super::subjects::{PERIOD, PLAN};
use crate::common::TestApp;
use crate::suite::fixtures::{OLD_AGENCY, complete_report, error_reason, new_id, request};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_messages_and_bursts_are_refused_with_resource_exhausted() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn_with(backend, |config| {
        config.limits.max_message_bytes = 4096;
        config.limits.rate_limit = 5;
    })
    .await;
    let mut agency = app.agency(OLD_AGENCY).await;
    let mut huge = complete_report();
    huge.digital_platforms[0].name = "x".repeat(10_000);
    let status = agency
        .submit_report(request(&new_id(), OLD_AGENCY, PERIOD, huge.clone()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(error_reason(&status), "MESSAGE_TOO_LARGE");
    assert!(status.message().contains("4096"), "{status:?}");

    // In an import stream, the oversized message ends the stream with the same refusal.
    let outcome = agency
        .import_reports(tokio_stream::iter([request(
            &new_id(),
            OLD_AGENCY,
            PERIOD,
            huge,
        )]))
        .await;
    let status = match outcome {
        Err(status) => status,
        Ok(response) => response.into_inner().message().await.unwrap_err(),
    };
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");

    // 5 a second in bursts of 10: a quick run of 30 calls meets the limit, with a retry delay.
    let mut catalog = CatalogServiceClient::new(app.connection(Some(&app.ministry_token)));
    let mut limited = None;
    for _ in 0..30 {
        if let Err(status) = catalog.list_periods(ListPeriodsRequest::default()).await {
            limited = Some(status);
            break;
        }
    }
    let status = limited.expect("the burst meets the rate limit");
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(error_reason(&status), "RATE_LIMITED");
    let retry = status.get_error_details().retry_info().cloned();
    assert!(retry.and_then(|retry| retry.retry_delay).is_some());
    // Another credential has its own allowance.
    agency
        .submit_report(request(&new_id(), OLD_AGENCY, PERIOD, complete_report()))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_is_honoured() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let mut summaries = app.summaries.clone();
    let mut hurried = Request::new(ListTargetSummariesRequest {
        plan_code: PLAN.into(),
        period_code: PERIOD.into(),
        scope: "country".into(),
        ..Default::default()
    });
    hurried.set_timeout(Duration::from_nanos(1));
    let status = summaries.list_target_summaries(hurried).await.unwrap_err();
    // The server drops the work when the caller's deadline passes. tonic's server answers that
    // with CANCELLED; a client that keeps its own timer (as grpc-go and grpc-java do) reports
    // DEADLINE_EXCEEDED. Either way nothing is computed past the deadline.
    assert!(
        matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled),
        "{status:?}"
    );
    // The server is none the worse for it.
    let mut patient = Request::new(ListTargetSummariesRequest {
        plan_code: PLAN.into(),
        period_code: PERIOD.into(),
        scope: "country".into(),
        ..Default::default()
    });
    patient.set_timeout(Duration::from_secs(30));
    summaries.list_target_summaries(patient).await.unwrap();
}

/// A test CA, a server certificate for localhost, and client certificates, as PEM files.
struct TestPki {
    directory: tempfile::TempDir,
    ca: String,
    /// A client certificate signed by the CA, and its key.
    client: (String, String),
    /// Another one, signed by the CA but registered with no credential.
    stranger: (String, String),
}

impl TestPki {
    fn new() -> TestPki {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "pressdx test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap().pem();
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf = |name: &str, usage| {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(vec![name.to_string()]).unwrap();
            params.distinguished_name.push(DnType::CommonName, name);
            params.extended_key_usages = vec![usage];
            let certificate = params.signed_by(&key, &issuer).unwrap();
            (certificate.pem(), key.serialize_pem())
        };
        let server = leaf("localhost", ExtendedKeyUsagePurpose::ServerAuth);
        let client = leaf(
            "newsroom.baonamdinh.vn",
            ExtendedKeyUsagePurpose::ClientAuth,
        );
        let stranger = leaf("someone.example", ExtendedKeyUsagePurpose::ClientAuth);
        let directory = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("ca.pem", &ca),
            ("server.pem", &server.0),
            ("server.key", &server.1),
        ] {
            std::fs::write(directory.path().join(name), text).unwrap();
        }
        TestPki {
            directory,
            ca,
            client,
            stranger,
        }
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.directory.path().join(name)
    }

    /// A TLS connection to `app`, with a client certificate if given.
    async fn connect(
        &self,
        app: &TestApp,
        client: Option<&(String, String)>,
    ) -> Result<Channel, tonic::transport::Error> {
        let mut tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&self.ca))
            .domain_name("localhost");
        if let Some((certificate, key)) = client {
            tls = tls.identity(Identity::from_pem(certificate, key));
        }
        Channel::from_shared(format!("https://{}", app.address))
            .unwrap()
            .tls_config(tls)?
            .connect()
            .await
    }
}

pub(super) async fn list_plans(channel: &Channel, token: Option<&str>) -> Result<(), Status> {
    CatalogServiceClient::new(crate::common::authorized(channel, token))
        .list_plans(ListPlansRequest::default())
        .await
        .map(drop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_encrypted_and_plaintext_clients_are_turned_away() {
    let backend = crate::BACKEND;
    let pki = TestPki::new();
    let app = TestApp::spawn_with(backend, |config| {
        config.tls.tls_cert = Some(pki.path("server.pem"));
        config.tls.tls_key = Some(pki.path("server.key"));
    })
    .await;
    let channel = pki.connect(&app, None).await.unwrap();
    list_plans(&channel, Some(&app.ministry_token))
        .await
        .unwrap();
    // Still no way in without a token.
    let status = list_plans(&channel, None).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    // A plaintext client gets nowhere (the harness's own channel speaks plaintext).
    assert!(
        list_plans(&app.channel, Some(&app.ministry_token))
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_requires_a_client_certificate_that_can_act_as_an_agency() {
    let backend = crate::BACKEND;
    let pki = TestPki::new();
    let app = TestApp::spawn_with(backend, |config| {
        config.tls.tls_cert = Some(pki.path("server.pem"));
        config.tls.tls_key = Some(pki.path("server.key"));
        config.tls.tls_client_ca = Some(pki.path("ca.pem"));
    })
    .await;
    // No client certificate: the handshake fails, or the first call does.
    let refused = match pki.connect(&app, None).await {
        Err(_) => true,
        Ok(channel) => list_plans(&channel, Some(&app.ministry_token))
            .await
            .is_err(),
    };
    assert!(refused, "mutual TLS lets a client without a certificate in");

    // The newsroom's certificate, registered as Báo Nam Định's credential, acts as that agency.
    let der = CertificateDer::from_pem_slice(pki.client.0.as_bytes()).unwrap();
    app.store()
        .create_credential(
            &NewCredential {
                kind: CredentialKind::Certificate,
                secret_sha256: secret_sha256(der.as_ref()),
                role: Role::Agency,
                organization: Some(OLD_AGENCY.into()),
                label: "newsroom certificate".into(),
                expires_at: None,
            },
            "test",
        )
        .await
        .unwrap();
    let newsroom = pki.connect(&app, Some(&pki.client)).await.unwrap();
    let mut agency = SubmissionServiceClient::new(crate::common::authorized(&newsroom, None));
    agency
        .submit_report(request(&new_id(), OLD_AGENCY, PERIOD, complete_report()))
        .await
        .unwrap();
    let status = agency
        .submit_report(request(&new_id(), "bao-ha-nam", PERIOD, complete_report()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    // A bearer token, when sent, is who the caller is, whatever the certificate.
    list_plans(&newsroom, Some(&app.ministry_token))
        .await
        .unwrap();

    // A certificate the CA signed but no one registered identifies no one.
    let stranger = pki.connect(&app, Some(&pki.stranger)).await.unwrap();
    let status = list_plans(&stranger, None).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(error_reason(&status), "CREDENTIAL_UNKNOWN");
}
