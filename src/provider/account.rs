//! Which provider account a profile reaches, named without a secret. Two profiles may reach
//! one account (the environment profile and a config profile with the same key): desired
//! state must not manage its databases under one and call them unmanaged under the other.
use std::fmt;

use sha2::{Digest, Sha256};

use crate::model::ProviderKind;
use crate::secret::Secret;

/// One account of one provider: where its API answers and who is asking.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountId {
    kind: ProviderKind,
    /// The API's URL, normalized: scheme and host in lower case, no default port, no
    /// credentials, no trailing `/`.
    url: String,
    principal: Principal,
}

/// Who a profile acts as.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Principal {
    /// The URL alone names the account (a Cosmos endpoint).
    Endpoint,
    /// A user, compared without regard to case.
    User(String),
    /// A key, held only as its SHA-256.
    Key([u8; 32]),
}

impl AccountId {
    /// The account at `url` itself (a Cosmos endpoint is one account whatever the key).
    pub fn endpoint(kind: ProviderKind, url: &str) -> AccountId {
        AccountId {
            kind,
            url: normalized(url),
            principal: Principal::Endpoint,
        }
    }

    /// The account `user` reaches at `url`.
    pub fn user(kind: ProviderKind, url: &str, user: &str) -> AccountId {
        AccountId {
            principal: Principal::User(user.trim().to_lowercase()),
            ..AccountId::endpoint(kind, url)
        }
    }

    /// The account `key` reaches at `url`; only the key's hash is kept.
    pub fn key(kind: ProviderKind, url: &str, key: &Secret) -> AccountId {
        AccountId {
            principal: Principal::Key(Sha256::digest(key.expose().trim().as_bytes()).into()),
            ..AccountId::endpoint(kind, url)
        }
    }
}

/// "upstash account at https://api.upstash.com/v2, key sha256:1a2b3c4d": never the key.
impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} account at {}", self.kind, self.url)?;
        match &self.principal {
            Principal::Endpoint => Ok(()),
            Principal::User(user) => write!(f, ", user {user}"),
            Principal::Key(hash) => {
                f.write_str(", key sha256:")?;
                hash[..4].iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
    }
}

/// A URL as the account's address: one spelling for `https://Host:443/v2/` and
/// `https://host/v2`.
fn normalized(url: &str) -> String {
    let text = url.trim();
    let Ok(parsed) = reqwest::Url::parse(text) else {
        return text.trim_end_matches('/').to_lowercase();
    };
    let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!(
        "{}://{}{port}{}",
        parsed.scheme(),
        parsed.host_str().unwrap_or_default(),
        parsed.path().trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_account_has_one_identity_whatever_the_spelling() {
        let key = Secret::new("k3y-of-the-account".to_string());
        let a = AccountId::key(
            ProviderKind::Upstash,
            "https://API.upstash.com:443/v2/",
            &key,
        );
        let b = AccountId::key(ProviderKind::Upstash, "https://api.upstash.com/v2", &key);
        assert_eq!(a, b);
        let other = Secret::new("another-key".to_string());
        assert_ne!(
            a,
            AccountId::key(ProviderKind::Upstash, "https://api.upstash.com/v2", &other)
        );
        assert_eq!(
            AccountId::user(
                ProviderKind::RedisEnterprise,
                "https://c:9443",
                "Admin@X.io"
            ),
            AccountId::user(
                ProviderKind::RedisEnterprise,
                "https://c:9443/",
                "admin@x.io"
            )
        );
        assert_ne!(
            AccountId::endpoint(ProviderKind::Cosmos, "https://a.documents.azure.com/"),
            AccountId::endpoint(ProviderKind::Cosmos, "https://b.documents.azure.com/")
        );
    }

    #[test]
    fn the_display_never_holds_the_key() {
        let key = Secret::new("k3y-of-the-account".to_string());
        let shown =
            AccountId::key(ProviderKind::RedisCloud, "https://u:p@api.x/v1", &key).to_string();
        assert!(
            shown.starts_with("redis-cloud account at https://api.x/v1, key sha256:"),
            "{shown}"
        );
        assert_eq!(
            shown.len(),
            "redis-cloud account at https://api.x/v1, key sha256:".len() + 8
        );
        assert!(!shown.contains("k3y") && !shown.contains("u:p"), "{shown}");
    }
}
