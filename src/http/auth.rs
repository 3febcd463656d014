//! How a provider authenticates a request, and HTTP basic auth.
use reqwest::header::HeaderValue;

use crate::error::{Error, Result};

/// How a provider authenticates a request (called afresh for every attempt) and what it adds
/// to an error message.
pub trait Api: Send + Sync {
    fn authorize(&self, request: &mut reqwest::Request) -> Result<()>;
    /// Adds a provider-specific hint (which variable to check) to an error answer.
    fn explain(&self, _error: &mut Error, _status: u16) {}
}

/// HTTP basic auth (Upstash `EMAIL:API_KEY`, Redis Enterprise `user:password`).
pub struct BasicAuth {
    pub user: String,
    pub password: crate::secret::Secret,
}

impl Api for BasicAuth {
    fn authorize(&self, request: &mut reqwest::Request) -> Result<()> {
        use base64::Engine;
        let token = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.user,
            self.password.expose()
        ));
        let mut value = HeaderValue::from_str(&format!("Basic {token}")).map_err(|_| {
            Error::config("the credentials contain characters a header cannot carry")
        })?;
        value.set_sensitive(true);
        request
            .headers_mut()
            .insert(reqwest::header::AUTHORIZATION, value);
        Ok(())
    }
}
