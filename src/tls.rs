//! TLS settings per profile: the system/webpki roots, an extra CA file, or (explicitly)
//! no verification at all.
//!
//! A CA file is trusted *in addition to* the webpki roots, through a rustls config of our own
//! ([`PinnedOrWebPki`]): operators routinely pass a server's own self-signed certificate as
//! the "CA" (Redis Enterprise clusters ship one), and such certificates usually say
//! `basicConstraints CA:TRUE`, which webpki refuses as an end-entity (`CaUsedAsEndEntity`,
//! reqwest issues #1554/#2041). We accept exactly that case, for exactly those bytes, with
//! the host name still checked — never by switching verification off.
use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// A PEM file with the CA (or the cluster's own self-signed certificate) to trust.
    pub ca_cert: Option<PathBuf>,
    /// Skip verification for this profile only.
    pub insecure: bool,
}

pub fn configure(
    builder: reqwest::ClientBuilder,
    options: &TlsOptions,
    insecure: bool,
) -> Result<reqwest::ClientBuilder> {
    let builder = builder.use_rustls_tls();
    if insecure {
        return Ok(builder.danger_accept_invalid_certs(true));
    }
    let Some(path) = &options.ca_cert else {
        return Ok(builder);
    };
    let pem = read_ca_file(path)?;
    let config = client_config(&pem)
        .map_err(|message| Error::config(format!("CA file {}: {message}", path.display())))?;
    Ok(builder.use_preconfigured_tls(config))
}

/// A rustls client config trusting the webpki roots plus every certificate in `pem`
/// (see [`PinnedOrWebPki`]). Errors are plain sentences for the caller to prefix.
pub fn client_config(pem: &[u8]) -> std::result::Result<rustls::ClientConfig, String> {
    let mut config = verified_config(pem_certificates(pem)?, false)?;
    // What reqwest asks for on its own rustls configs.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// A rustls config for a raw TLS stream (the Redis data plane): the webpki roots plus the
/// profile's CA file when one is set, or no certificate check at all when `insecure`. No
/// ALPN: the stream speaks RESP, not HTTP.
pub fn stream_config(options: &TlsOptions, insecure: bool) -> Result<rustls::ClientConfig> {
    let pinned = match (&options.ca_cert, insecure) {
        (Some(path), false) => {
            let pem = read_ca_file(path)?;
            pem_certificates(&pem).map_err(|message| {
                Error::config(format!("CA file {}: {message}", path.display()))
            })?
        }
        _ => Vec::new(),
    };
    verified_config(pinned, insecure).map_err(Error::config)
}

fn read_ca_file(path: &std::path::Path) -> Result<Vec<u8>> {
    crate::files::read_bytes(path)
        .map_err(|e| Error::config(format!("cannot read CA file {}: {e}", path.display())))
}

fn pem_certificates(pem: &[u8]) -> std::result::Result<Vec<CertificateDer<'static>>, String> {
    let mut reader = pem;
    let pinned = rustls_pemfile::certs(&mut reader)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| format!("is not PEM: {e}"))?;
    if pinned.is_empty() {
        return Err("holds no certificate (expected -----BEGIN CERTIFICATE-----)".into());
    }
    Ok(pinned)
}

/// A config verifying with [`PinnedOrWebPki`]: webpki roots plus `pinned`, or (`accept_any`)
/// any certificate for any name, handshake signatures still checked.
fn verified_config(
    pinned: Vec<CertificateDer<'static>>,
    accept_any: bool,
) -> std::result::Result<rustls::ClientConfig, String> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let (added, _ignored) = roots.add_parsable_certificates(pinned.iter().cloned());
    if added == 0 && !pinned.is_empty() {
        return Err("holds no certificate dbctl can use as a trust anchor".into());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| format!("cannot be used to verify servers: {e}"))?;
    let verifier = PinnedOrWebPki {
        inner,
        pinned,
        accept_any,
        provider: provider.clone(),
    };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// Full webpki verification against the roots, and one narrow exception: when webpki refuses
/// the server's certificate only because it is a CA certificate used as an end-entity
/// (`CaUsedAsEndEntity`), it is accepted iff it is byte-identical to a certificate the operator
/// put in the CA file **and** it is valid for the server name. webpki checks the validity
/// period before the basic constraints, so a `CaUsedAsEndEntity` certificate is already known
/// to be in date. Handshake signatures are always verified with the certificate's key.
#[derive(Debug)]
struct PinnedOrWebPki {
    inner: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
    /// `insecure`: no certificate check (the data plane's switch; HTTP uses reqwest's own).
    accept_any: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedOrWebPki {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if self.accept_any {
            return Ok(ServerCertVerified::assertion());
        }
        let refusal = match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => return Ok(verified),
            Err(refusal) => refusal,
        };
        if !ca_used_as_end_entity(&refusal) {
            return Err(refusal);
        }
        if !self
            .pinned
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
        {
            return Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                rustls::OtherError(Arc::new(NotPinned)),
            )));
        }
        let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_name(&parsed, server_name)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The server presents a CA certificate as its own, and it is not one from the CA file.
/// (rustls prints `Other` errors with `Debug`, so both forms carry the sentence.)
struct NotPinned;

impl std::fmt::Display for NotPinned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the server's certificate is a CA certificate (CA:TRUE) that is not in the CA file; put that exact certificate in the CA file")
    }
}

impl std::fmt::Debug for NotPinned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for NotPinned {}

/// rustls reports webpki's `CaUsedAsEndEntity` as `CertificateError::Other(webpki error)`.
fn ca_used_as_end_entity(error: &rustls::Error) -> bool {
    match error {
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => {
            matches!(
                other.0.downcast_ref::<webpki::Error>(),
                Some(webpki::Error::CaUsedAsEndEntity)
            )
        }
        _ => false,
    }
}

/// What to do about a refused certificate, from the refusal's text (`error`): a certificate
/// that does not name `host` is fixed by the name dialed or by the CA file, never by turning
/// verification off; any other refusal gets the profile's `general` hint
/// ([`certificate_hint`]).
pub fn refusal_hint(error: &str, host: &str, general: &str) -> String {
    let names_another_host = ["not valid for name", "NotValidForName"]
        .iter()
        .any(|phrase| error.contains(phrase));
    if names_another_host {
        format!("the server's certificate does not name {host}: connect by a name it was issued for, or check that the CA file (ca_cert) is the one for this server")
    } else {
        general.to_string()
    }
}

/// What to do when a server's certificate is refused, naming the provider's own variables
/// for a CA file and for skipping verification where it has them.
pub fn certificate_hint(ca_var: Option<&str>, insecure_var: Option<&str>) -> String {
    match (ca_var, insecure_var) {
        (Some(ca), Some(insecure)) => format!("trust the server's certificate with {ca}=/path/ca.pem (or ca_cert in the profile), or skip verification with {insecure}=true (or insecure = true)"),
        _ => "set ca_cert = \"/path/ca.pem\" in the profile, or insecure = true (or --insecure) to skip verification".to_string(),
    }
}
