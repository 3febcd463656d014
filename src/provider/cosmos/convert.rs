//! Cosmos records → the model.
use serde::Deserialize;
use serde_json::Value;

use super::wire;
use crate::error::{Error, Result};
use crate::model::{rfc3339_from_unix, Database, Status};
use crate::provider::ProviderKind;
use crate::provider::Shared;

/// Where the account answers, from `COSMOS_ENDPOINT`: every database shares it.
#[derive(Debug, Clone)]
pub(super) struct Account {
    pub host: String,
    pub port: Option<u16>,
    pub tls: bool,
}

impl Account {
    pub fn from_url(url: &reqwest::Url) -> Account {
        Account {
            host: url
                .host_str()
                .unwrap_or_default()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port: url.port_or_known_default(),
            tls: url.scheme() == "https",
        }
    }
}

/// A database record; `None` when it has no id (nothing could address it).
pub(super) fn database(
    record: &Value,
    account: &Account,
    profile: &str,
    shared: &Shared,
) -> Result<Option<Database>> {
    let wire = wire::Database::deserialize(record).map_err(|e| {
        Error::provider_error(format!(
            "cosmos sent a database record dbctl cannot read: {e}"
        ))
        .with_provider(ProviderKind::Cosmos)
    })?;
    let Some(id) = wire.id.filter(|id| !id.is_empty()) else {
        return Ok(None);
    };
    let mut db = Database::new(ProviderKind::Cosmos, profile, id.clone(), id);
    // A database that answers exists and serves: Cosmos has no other state for it.
    db.status = Status::Active;
    db.provider_status = Some("online".to_string());
    db.endpoint = Some(account.host.clone());
    db.port = account.port;
    db.tls = Some(account.tls);
    db.created_at = wire.ts.and_then(rfc3339_from_unix);
    db.raw = shared.raw_record(record);
    Ok(Some(db))
}

/// The container ids of a `DocumentCollections` feed, in the order given.
pub(super) fn collection_names(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| wire::Collection::deserialize(r).ok())
        .filter_map(|c| c.id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn shared(raw: bool) -> Shared {
        Shared {
            http: Arc::new(crate::context::HttpSettings::new(
                std::time::Duration::from_secs(1),
                1,
                0,
                false,
            )),
            raw,
            show_secrets: false,
        }
    }

    #[test]
    fn a_database_is_active_on_the_account_endpoint() {
        let account = Account::from_url(
            &reqwest::Url::parse("https://acct.documents.azure.com:443/").unwrap(),
        );
        let record = json!({"id": "Food DB", "_rid": "vdoeAA==", "_ts": "1442511602",
            "_self": "dbs/vdoeAA==/", "_etag": "\"x\""});
        let db = database(&record, &account, "cosmos", &shared(true))
            .unwrap()
            .unwrap();
        assert_eq!((db.id.as_str(), db.name.as_str()), ("Food DB", "Food DB"));
        assert_eq!(db.status, Status::Active);
        assert_eq!(db.endpoint.as_deref(), Some("acct.documents.azure.com"));
        assert_eq!((db.port, db.tls), (Some(443), Some(true)));
        assert_eq!(db.created_at.as_deref(), Some("2015-09-17T17:40:02Z"));
        assert_eq!(db.raw.unwrap()["_rid"], "vdoeAA==");
        assert!(
            database(&json!({"_rid": "x"}), &account, "c", &shared(false))
                .unwrap()
                .is_none()
        );
    }

    proptest::proptest! {
        /// Whatever a feed holds, converting it never panics.
        #[test]
        fn odd_records_never_panic(
            id in crate::provider::testing::arbitrary_json(),
            ts in crate::provider::testing::arbitrary_json(),
            other in crate::provider::testing::arbitrary_json(),
        ) {
            let account = Account::from_url(&reqwest::Url::parse("https://a.documents.azure.com/").unwrap());
            for record in [json!({"id": id, "_ts": ts, "_rid": other}), id.clone(), ts.clone()] {
                let _ = database(&record, &account, "p", &shared(true));
                let _ = collection_names(&[record.clone(), other.clone()]);
            }
        }
    }

    #[test]
    fn plain_http_endpoints_keep_their_port() {
        let account = Account::from_url(&reqwest::Url::parse("http://127.0.0.1:8081/").unwrap());
        assert_eq!(
            (account.host.as_str(), account.port, account.tls),
            ("127.0.0.1", Some(8081), false)
        );
    }
}
