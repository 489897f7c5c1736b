//! Why the server could not be reached, or a call to it broke off, in words that say what to do.
//!
//! tonic reports every such failure as "transport error"; the cause is further down the error's
//! chain of sources (an I/O error, a rustls error, an HTTP/2 error), and what it means depends on
//! how the client connected: plaintext or TLS, with or without a client certificate.

use std::error::Error;
use std::io;

use tonic::{Code, Status};

use crate::config::ServerArgs;

/// What went wrong between the client and the server, as far as the causes tell.
#[derive(Debug, PartialEq)]
enum Cause {
    /// Nothing accepts connections at the address.
    Refused,
    /// The peer broke the HTTP/2 protocol: bytes that are not HTTP/2, such as a TLS record.
    NotHttp2,
    /// The peer answered a TLS handshake with something that is not TLS.
    NotTls,
    /// The server's certificate is not signed by the CA the client trusts.
    UnknownIssuer,
    /// The server's certificate is not issued for the name the client connected to.
    WrongName { presented: Vec<String> },
    /// Any other reason to refuse the server's certificate (expired, not yet valid...).
    BadServerCertificate(String),
    /// The server sent a TLS alert asking for a client certificate.
    ClientCertificateRequired,
    /// The server sent a TLS alert refusing the client's certificate.
    ClientCertificateRefused,
    /// The connection closed under the call, without a word of why.
    Dropped,
}

/// A failure to connect, explained: its cause and the fix if known, else every cause in a row.
pub fn connect_failed(error: &(dyn Error + 'static), args: &ServerArgs) -> String {
    let server = &args.server;
    explain(error, args).unwrap_or_else(|| {
        format!(
            "cannot reach the pressdx server at {server}: {}",
            chain(error)
        )
    })
}

/// A failed call, explained: a transport failure by its cause and fix, anything else as what the
/// server answered.
pub fn call_failed(status: &Status, args: &ServerArgs) -> String {
    if status.source().is_none() {
        return format!(
            "the server answered {:?}: {}",
            status.code(),
            status.message()
        );
    }
    explain(status, args).unwrap_or_else(|| {
        let causes = status.source().map(chain).unwrap_or_default();
        format!(
            "the call to the pressdx server at {} broke off ({:?}): {causes}",
            args.server,
            status.code(),
        )
    })
}

/// The error and its sources, each once, as "outer: inner: innermost".
fn chain(error: &(dyn Error + 'static)) -> String {
    let mut texts: Vec<String> = Vec::new();
    for error in causes(error) {
        let text = error.to_string();
        if texts.last() != Some(&text) {
            texts.push(text);
        }
    }
    texts.join(": ")
}

/// The error, then its source, its source's source...
pub(super) fn causes<'a>(
    error: &'a (dyn Error + 'static),
) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(error), |&error| error.source())
}

/// What went wrong and how to fix it, if the causes tell.
fn explain(error: &(dyn Error + 'static), args: &ServerArgs) -> Option<String> {
    let server = &args.server;
    let explanation = match diagnose(error)? {
        Cause::Refused => format!(
            "nothing accepts connections at {server} (connection refused): is the pressdx server \
             running there? Point --server (or PRESSDX_SERVER) at the address it listens on."
        ),
        Cause::NotTls => format!(
            "the server at {server} does not speak TLS: use --server http://... (or start the \
             server with --tls-cert and --tls-key)."
        ),
        Cause::UnknownIssuer => format!(
            "the server's certificate is not signed by the CA in --tls-ca ({}): give the CA \
             certificate that signed it.",
            args.tls_ca
                .as_ref()
                .map_or("none".to_string(), |ca| ca.display().to_string())
        ),
        Cause::WrongName { presented } if presented.is_empty() => format!(
            "the server's certificate is not issued for the name in {server}: connect to a name \
             it is issued for."
        ),
        Cause::WrongName { presented } => format!(
            "the server's certificate is issued for {}, not for the name in {server}: connect to \
             one of those names.",
            presented.join(", ")
        ),
        Cause::BadServerCertificate(why) => {
            format!("the server's certificate at {server} is not acceptable: {why}")
        }
        // A TLS server reads a plaintext client's first bytes as a broken TLS record; it answers
        // with an alert (which HTTP/2 reads as an oversized frame) or just hangs up.
        Cause::NotHttp2 | Cause::Dropped if !args.uses_tls() => format!(
            "the server at {server} does not speak plaintext HTTP/2: it most likely serves TLS. \
             Use --server https://... with --tls-ca naming the CA that signed its certificate."
        ),
        Cause::NotHttp2 => return None,
        // Over TLS 1.3 a server checks the client's certificate after the handshake, then sends
        // an alert and hangs up; the alert may be lost on its way up, leaving the hang-up alone.
        Cause::ClientCertificateRequired | Cause::ClientCertificateRefused | Cause::Dropped
            if args.tls_client_cert.is_none() =>
        {
            format!(
                "the server at {server} closed the connection, as a server that requires a \
                 client certificate (mutual TLS) does: give --tls-client-cert and \
                 --tls-client-key (or PRESSDX_TLS_CLIENT_CERT and PRESSDX_TLS_CLIENT_KEY), a \
                 certificate signed by the CA the server trusts and its key."
            )
        }
        Cause::ClientCertificateRequired | Cause::ClientCertificateRefused | Cause::Dropped => {
            format!(
                "the server at {server} closed the connection, as a server that does not accept \
                 the client certificate does: --tls-client-cert must be signed by the CA the \
                 server trusts (its --tls-client-ca), and --tls-client-key must be its key."
            )
        }
    };
    Some(explanation)
}

/// The first cause in the chain that says what went wrong.
fn diagnose(error: &(dyn Error + 'static)) -> Option<Cause> {
    // pressdx never cancels a call: a cancelled one lost its connection.
    if let Some(status) = error.downcast_ref::<Status>() {
        if status.code() == Code::Cancelled {
            return Some(Cause::Dropped);
        }
    }
    causes(error).find_map(|error| {
        if let Some(error) = error.downcast_ref::<io::Error>() {
            return io_cause(error);
        }
        let http2 = error.downcast_ref::<h2::Error>()?;
        // A GOAWAY that our side sent: the server's bytes broke the protocol.
        (http2.is_go_away() && http2.is_library()).then_some(Cause::NotHttp2)
    })
}

fn io_cause(error: &io::Error) -> Option<Cause> {
    use io::ErrorKind::{BrokenPipe, ConnectionRefused, ConnectionReset, UnexpectedEof};
    match error.kind() {
        ConnectionRefused => return Some(Cause::Refused),
        BrokenPipe | ConnectionReset | UnexpectedEof => return Some(Cause::Dropped),
        _ => {}
    }
    // rustls hands its errors up inside an I/O error. (Its `source` is the rustls error's
    // source, so the chain skips the rustls error itself: look inside.)
    if let Some(tls) = error.get_ref()?.downcast_ref::<rustls::Error>() {
        return tls_cause(tls);
    }
    // An alert that arrives during a call reaches us through h2, which keeps only an I/O error's
    // kind and text; rustls writes that text "received fatal alert: {alert:?}".
    let text = error.to_string();
    alert_cause(text.strip_prefix("received fatal alert: ")?)
}

fn tls_cause(error: &rustls::Error) -> Option<Cause> {
    use rustls::CertificateError;
    let cause = match error {
        rustls::Error::InvalidMessage(_) => Cause::NotTls,
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => Cause::UnknownIssuer,
        rustls::Error::InvalidCertificate(CertificateError::NotValidForName) => {
            Cause::WrongName { presented: vec![] }
        }
        rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
            presented,
            ..
        }) => Cause::WrongName {
            presented: presented.iter().map(|name| readable_name(name)).collect(),
        },
        rustls::Error::InvalidCertificate(other) => Cause::BadServerCertificate(other.to_string()),
        rustls::Error::AlertReceived(alert) => return alert_cause(&format!("{alert:?}")),
        _ => return None,
    };
    Some(cause)
}

/// rustls spells a certificate's names as `DnsName("pressdx.example.vn")`: the name alone.
fn readable_name(presented: &str) -> String {
    presented.split('"').nth(1).unwrap_or(presented).to_string()
}

/// What a TLS alert from the server says about the client's certificate, by its name in rustls.
fn alert_cause(alert: &str) -> Option<Cause> {
    match alert {
        // TLS 1.3 names it; a TLS 1.2 server says only that the handshake failed.
        "CertificateRequired" | "HandshakeFailure" => Some(Cause::ClientCertificateRequired),
        "UnknownCA"
        | "BadCertificate"
        | "UnsupportedCertificate"
        | "CertificateRevoked"
        | "CertificateExpired"
        | "CertificateUnknown"
        | "AccessDenied" => Some(Cause::ClientCertificateRefused),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The behavioural suite meets a TLS alert either way, as the race between alert and hang-up
    /// falls: this pins the way through h2's text.
    #[test]
    fn an_alert_known_only_by_its_text_is_read() {
        let alert = |name: &str| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("received fatal alert: {name}"),
            )
        };
        assert_eq!(
            diagnose(&alert("CertificateRequired")),
            Some(Cause::ClientCertificateRequired)
        );
        assert_eq!(
            diagnose(&alert("UnknownCA")),
            Some(Cause::ClientCertificateRefused)
        );
        assert_eq!(diagnose(&alert("DecodeError")), None);
    }

    #[test]
    fn certificate_names_read_as_names() {
        assert_eq!(
            readable_name(r#"DnsName("pressdx.example.vn")"#),
            "pressdx.example.vn"
        );
        assert_eq!(readable_name("something else"), "something else");
    }
}
