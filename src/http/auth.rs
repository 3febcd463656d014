//! How a provider authenticates a request, and HTTP basic auth.
use reqwest::header::HeaderValue;

use crate::error::{Error, Result};

/// How a provider authenticates a request (called afresh for every attempt) and what it adds
/// to an error message.
#[async_trait::async_trait]
pub trait Api: Send + Sync {
    /// Readies the credential before each attempt (fetches a token when none is fresh); called
    /// outside the bound on requests in flight, so it may send requests of its own.
    async fn prepare(&self) -> Result<()> {
        Ok(())
    }
    fn authorize(&self, request: &mut reqwest::Request) -> Result<()>;
    /// Adds a provider-specific hint (which variable to check) to an error answer.
    fn explain(&self, _error: &mut Error, _status: u16) {}
    /// The provider refused the credential (401): drop it, and say whether a fresh one is
    /// worth one more attempt (a token that can be fetched again).
    fn forget(&self) -> bool {
        false
    }
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
