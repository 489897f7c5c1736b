//! How the client commands reach a running server: its address, TLS if asked for, and the bearer
//! token put on every request.

use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Request, Status};

use super::diagnosis::connect_failed;
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
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|error| format!("{}: {error}", path.display()))
    };
    let mut endpoint = Endpoint::from_shared(server.clone())
        .map_err(|error| format!("--server {server}: {error}"))?;
    match &args.tls_ca {
        Some(ca) if args.uses_tls() => {
            let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(read(ca)?));
            if let (Some(cert), Some(key)) = (&args.tls_client_cert, &args.tls_client_key) {
                tls = tls.identity(Identity::from_pem(read(cert)?, read(key)?));
            }
            endpoint = endpoint
                .tls_config(tls)
                .map_err(|error| connect_failed(&error, args))?;
        }
        // pressdx trusts no CA it is not given (tonic would only say "transport error").
        None if args.uses_tls() => {
            return Err(format!(
                "--server {server} asks for TLS: give --tls-ca (or PRESSDX_TLS_CA), the CA \
                 certificate that signed the server's certificate"
            ));
        }
        // tonic speaks plaintext to an http:// address whatever the TLS settings.
        Some(_) => eprintln!(
            "note: --server {server} is plaintext; --tls-ca applies only to an https:// server"
        ),
        None => {}
    }
    if args.token.is_none() && args.tls_client_cert.is_none() {
        eprintln!(
            "note: no token given (--token or PRESSDX_TOKEN); the server will refuse the call. \
             An operator creates one with `pressdx token create`."
        );
    }
    let channel = endpoint
        .connect()
        .await
        .map_err(|error| connect_failed(&error, args))?;
    Ok(InterceptedService::new(
        channel,
        BearerToken::new(args.token.as_deref())?,
    ))
}
