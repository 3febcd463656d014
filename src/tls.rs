//! TLS settings per profile: the system/webpki roots, an extra CA file, or (explicitly)
//! no verification at all.
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::model::ProviderKind;

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
    let pem = std::fs::read(path)
        .map_err(|e| Error::config(format!("cannot read CA file {}: {e}", path.display())))?;
    let certificates = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| Error::config(format!("CA file {} is not PEM: {e}", path.display())))?;
    if certificates.is_empty() {
        return Err(Error::config(format!(
            "CA file {} holds no certificate",
            path.display()
        )));
    }
    Ok(certificates
        .into_iter()
        .fold(builder, |b, c| b.add_root_certificate(c)))
}

/// What to do when a server's certificate is refused.
pub fn certificate_hint(provider: ProviderKind) -> String {
    match provider {
        ProviderKind::RedisEnterprise => "trust the cluster's certificate with REDIS_ENTERPRISE_CA_CERT=/path/ca.pem (or ca_cert in the profile), or skip verification with REDIS_ENTERPRISE_INSECURE=true (or insecure = true)".to_string(),
        _ => "set ca_cert = \"/path/ca.pem\" in the profile, or insecure = true (or --insecure) to skip verification".to_string(),
    }
}
