//! What the command line says when a command cannot run: what its usage lacks, and why a
//! connection failed.

use super::command::{create_token, pressdx, pressdx_command, text};
use crate::common::TestApp;

/// A CA with a server certificate for localhost and a client certificate, and another CA with a
/// client certificate of its own, as PEM files: ca.pem, server.pem and .key, client.pem and .key;
/// other-ca.pem, stranger.pem and .key.
fn write_test_pki(directory: &std::path::Path) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let certificate_authority = |name: &str| {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.distinguished_name.push(DnType::CommonName, name);
        let pem = params.self_signed(&key).unwrap().pem();
        (pem, Issuer::new(params, key))
    };
    let (ca, issuer) = certificate_authority("pressdx test CA");
    let (other_ca, other_issuer) = certificate_authority("someone else's CA");
    let leaf = |name: &str, usage, issuer: &Issuer<KeyPair>| {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec![name.to_string()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![usage];
        let certificate = params.signed_by(&key, issuer).unwrap();
        (certificate.pem(), key.serialize_pem())
    };
    let server = leaf("localhost", ExtendedKeyUsagePurpose::ServerAuth, &issuer);
    let client = leaf(
        "newsroom.example",
        ExtendedKeyUsagePurpose::ClientAuth,
        &issuer,
    );
    let stranger = leaf(
        "stranger.example",
        ExtendedKeyUsagePurpose::ClientAuth,
        &other_issuer,
    );
    for (name, pem) in [
        ("ca.pem", &ca),
        ("other-ca.pem", &other_ca),
        ("server.pem", &server.0),
        ("server.key", &server.1),
        ("client.pem", &client.0),
        ("client.key", &client.1),
        ("stranger.pem", &stranger.0),
        ("stranger.key", &stranger.1),
    ] {
        std::fs::write(directory.join(name), pem).unwrap();
    }
}

/// A command missing an argument names it, with a usage line of what the command line holds:
/// a token or server taken from the environment is used, never shown as though it were required.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_usage_names_only_what_the_command_line_lacks() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let (_, province) = create_token(&app.database_url, "province", Some("ninh-binh-2025"));
    let server = format!("http://{}", app.address);
    let run = |args: &[&str]| {
        tokio::task::block_in_place(|| {
            pressdx_command(args)
                .env("PRESSDX_TOKEN", &province)
                .env("PRESSDX_SERVER", &server)
                .output()
                .unwrap()
        })
    };
    let incomplete = run(&["review", "list"]);
    assert_eq!(incomplete.status.code(), Some(2));
    let stderr = text(&incomplete.stderr);
    assert!(
        stderr
            .contains("the following required arguments were not provided:\n  --period <PERIOD>\n"),
        "{stderr}"
    );
    let usage = stderr
        .lines()
        .find(|line| line.starts_with("Usage:"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert_eq!(usage, "Usage: pressdx review list --period <PERIOD>");
    // The environment still gives the token and the server.
    let complete = run(&["review", "list", "--period", "2025"]);
    assert!(complete.status.success(), "{}", text(&complete.stderr));
}

/// A connection that fails says why and what to do, not "transport error": nothing listening,
/// plaintext against TLS and TLS against plaintext, https without a CA, a CA that did not sign
/// the server's certificate, a certificate for another name, and a server that requires a client
/// certificate or refuses the one given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_names_the_cause_of_a_failed_connection() {
    let backend = crate::BACKEND;
    let directory = tempfile::tempdir().unwrap();
    write_test_pki(directory.path());
    let pem = |name: &str| directory.path().join(name).to_str().unwrap().to_string();
    let plaintext = TestApp::spawn(backend).await;
    let tls = TestApp::spawn_with(backend, |config| {
        config.tls.tls_cert = Some(pem("server.pem").into());
        config.tls.tls_key = Some(pem("server.key").into());
    })
    .await;
    let mutual_tls = TestApp::spawn_with(backend, |config| {
        config.tls.tls_cert = Some(pem("server.pem").into());
        config.tls.tls_key = Some(pem("server.key").into());
        config.tls.tls_client_ca = Some(pem("ca.pem").into());
    })
    .await;
    // The certificate is for localhost; the test servers listen on 127.0.0.1.
    let https = |app: &TestApp| format!("https://localhost:{}", app.address.port());
    let nothing_there = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };

    let failure = |server: &str, tls_args: &[&str]| {
        let mut args = vec!["status", "--period", "2024", "--server", server];
        args.extend_from_slice(tls_args);
        args.extend(["--token", "any"]);
        let output = tokio::task::block_in_place(|| pressdx(&args));
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stdout));
        let stderr = text(&output.stderr);
        assert!(!stderr.contains("transport error"), "{stderr}");
        stderr
    };
    let says = |stderr: &str, words: &[&str]| {
        for word in words {
            assert!(stderr.contains(word), "{word:?} is not in: {stderr}");
        }
    };
    let ca = pem("ca.pem");

    let refused = failure(&nothing_there, &[]);
    says(
        &refused,
        &["connection refused", "running there", "PRESSDX_SERVER"],
    );

    let plaintext_to_tls = failure(&format!("http://{}", tls.address), &[]);
    says(&plaintext_to_tls, &["serves TLS", "https://", "--tls-ca"]);

    let tls_to_plaintext = failure(&https(&plaintext), &["--tls-ca", &ca]);
    says(&tls_to_plaintext, &["does not speak TLS", "http://"]);

    let no_ca = failure(&https(&tls), &[]);
    says(&no_ca, &["give --tls-ca"]);

    let unknown_ca = failure(&https(&tls), &["--tls-ca", &pem("other-ca.pem")]);
    says(
        &unknown_ca,
        &["not signed by the CA in --tls-ca", "other-ca.pem"],
    );

    let by_address = failure(&format!("https://{}", tls.address), &["--tls-ca", &ca]);
    says(&by_address, &["issued for localhost, not for the name in"]);

    // tonic would speak plaintext without a word.
    let tls_settings_on_plaintext =
        failure(&format!("http://{}", plaintext.address), &["--tls-ca", &ca]);
    says(
        &tls_settings_on_plaintext,
        &["is plaintext; --tls-ca applies only"],
    );

    let no_client_certificate = failure(&https(&mutual_tls), &["--tls-ca", &ca]);
    says(
        &no_client_certificate,
        &[
            "requires a client certificate",
            "--tls-client-cert",
            "--tls-client-key",
        ],
    );

    let refused_certificate = failure(
        &https(&mutual_tls),
        &[
            "--tls-ca",
            &ca,
            "--tls-client-cert",
            &pem("stranger.pem"),
            "--tls-client-key",
            &pem("stranger.key"),
        ],
    );
    says(
        &refused_certificate,
        &["does not accept the client certificate", "--tls-client-ca"],
    );

    // With its certificate, the client gets through to the server, which judges the token.
    let through = tokio::task::block_in_place(|| {
        pressdx(&[
            "status",
            "--period",
            "2024",
            "--server",
            &https(&mutual_tls),
            "--tls-ca",
            &ca,
            "--tls-client-cert",
            &pem("client.pem"),
            "--tls-client-key",
            &pem("client.key"),
            "--token",
            "any",
        ])
    });
    says(
        &text(&through.stderr),
        &["the server answered Unauthenticated"],
    );
}
