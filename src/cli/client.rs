//! How the client commands reach a running server: its address, TLS if asked for, and the bearer
//! token put on every request.

use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Request, Status};

use crate::config::ServerArgs;

/// A connection that sends the caller's bearer token with every request.
pub type Connection = InterceptedService<Channel, BearerToken>;

/// Adds `authorization: Bearer <token>` to each request, if there is a token.
#[derive(Clone)]
pub struct BearerToken(Option<AsciiMetadataValue>);

impl BearerToken {
    pub fn new(token: Option<&str>) -> Result<BearerToken, String> {
        token
            .map(|token| {
                MetadataValue::try_from(format!("Bearer {}", token.trim()))
                    .map_err(|_| "the token holds characters a header cannot carry".to_string())
            })
            .transpose()
            .map(BearerToken)
    }
}

impl Interceptor for BearerToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// Connects to the server the arguments name.
pub async fn connect(args: &ServerArgs) -> Result<Connection, String> {
    let server = &args.server;
    let fail = |error: &dyn std::fmt::Display| {
        format!("cannot reach the pressdx server at {server}: {error}")
    };
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|error| format!("{}: {error}", path.display()))
    };
    let mut endpoint = Endpoint::from_shared(server.clone()).map_err(|error| fail(&error))?;
    if let Some(ca) = &args.tls_ca {
        let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(read(ca)?));
        if let (Some(cert), Some(key)) = (&args.tls_client_cert, &args.tls_client_key) {
            tls = tls.identity(Identity::from_pem(read(cert)?, read(key)?));
        }
        endpoint = endpoint.tls_config(tls).map_err(|error| fail(&error))?;
    }
    if args.token.is_none() && args.tls_client_cert.is_none() {
        eprintln!(
            "note: no token given (--token or PRESSDX_TOKEN); the server will refuse the call. \
             An operator creates one with `pressdx token create`."
        );
    }
    let channel = endpoint.connect().await.map_err(|error| fail(&error))?;
    Ok(InterceptedService::new(
        channel,
        BearerToken::new(args.token.as_deref())?,
    ))
}

/// Why a call failed, in one line.
pub fn call_failed(status: &Status) -> String {
    format!(
        "the server answered {:?}: {}",
        status.code(),
        status.message()
    )
}
