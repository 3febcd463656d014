//! Cosmos records → the model.
use serde::Deserialize;
use serde_json::Value;

use super::wire;
use crate::error::{Error, Result};
use crate::model::ProviderKind;
use crate::model::Usage;
use crate::model::{rfc3339_from_unix, Database, Status};
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
    db.facts.resource_id = wire.rid.filter(|rid| !rid.is_empty());
    Ok(Some(db))
}

/// The offer of a database: the one whose `offerResourceId` is the database's `_rid`.
pub(super) fn offer_of<'a>(offers: &'a [Value], db: &Database) -> Option<&'a Value> {
    let rid = db.facts.resource_id.as_deref()?;
    offers.iter().find(|offer| {
        wire::Offer::deserialize(*offer)
            .ok()
            .and_then(|o| o.offer_resource_id)
            .is_some_and(|r| r == rid)
    })
}

/// The offer's rid and whether it is autoscale.
pub(super) fn offer_mode(offer: &Value) -> (Option<String>, bool) {
    let offer = wire::Offer::deserialize(offer).ok();
    let autoscale = offer
        .as_ref()
        .and_then(|o| o.content.as_ref())
        .is_some_and(|c| c.autopilot.is_some());
    (
        offer.and_then(|o| o.id).filter(|id| !id.is_empty()),
        autoscale,
    )
}

/// Throughput from the offers feed; a database without an offer of its own (its containers
/// may have theirs) has none. Its offer without a positive RU/s (manual) or maximum
/// (autoscale) is undecodable, not "none": `plan` would read it as a database that cannot
/// be given throughput. Cosmos reports no memory or connections; storage is per container,
/// so it stays null here.
pub(super) fn usage(offers: &[Value], db: &Database) -> Result<Usage> {
    let figures = |throughput_ru, throughput_max_ru| Usage {
        throughput_ru,
        throughput_max_ru,
        sampled_at: Some(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        ..Usage::of(db)
    };
    let Some(offer) = offer_of(offers, db) else {
        return Ok(figures(None, None));
    };
    let unreadable = || {
        Error::provider_error(format!(
            "cosmos sent an offer for database {:?} without a readable throughput",
            db.id
        ))
        .with_provider(ProviderKind::Cosmos)
    };
    let positive = |ru: Option<u64>| ru.filter(|ru| *ru > 0);
    match wire::Offer::deserialize(offer).ok().and_then(|o| o.content) {
        // Autoscale: the maximum is the setting; `offerThroughput` is where it is scaled now.
        Some(wire::OfferContent {
            autopilot: Some(autopilot),
            offer_throughput,
        }) => positive(autopilot.max_throughput)
            .map(|max| figures(offer_throughput, Some(max)))
            .ok_or_else(unreadable),
        Some(wire::OfferContent {
            autopilot: None,
            offer_throughput,
        }) => positive(offer_throughput)
            .map(|ru| figures(Some(ru), None))
            .ok_or_else(unreadable),
        None => Err(unreadable()),
    }
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
        /// Whatever a feed holds: a well-formed database under the id the record gives (on the
        /// account's endpoint), none for a record without an id, or a provider error; and only
        /// ids the records give as container names.
        #[test]
        fn odd_records_read_or_are_refused(
            id in crate::provider::testing::arbitrary_json(),
            ts in crate::provider::testing::arbitrary_json(),
            other in crate::provider::testing::arbitrary_json(),
        ) {
            use crate::provider::testing::{refused, well_formed};
            use proptest::prelude::*;
            // The id of a record (serde also reads a struct from an array, by position), as
            // the provider may send it: text, or a number or boolean read as text.
            let text = |record: &Value| match record.get("id").or_else(|| record.get(0)).unwrap_or(&Value::Null) {
                Value::String(s) => Some(s.clone()),
                value @ (Value::Number(_) | Value::Bool(_)) => Some(value.to_string()),
                _ => None,
            };
            let account = Account::from_url(&reqwest::Url::parse("https://a.documents.azure.com/").unwrap());
            for record in [json!({"id": id, "_ts": ts, "_rid": other}), id.clone(), ts.clone()] {
                match database(&record, &account, "p", &shared(true)) {
                    Ok(Some(db)) => {
                        well_formed(&db, ProviderKind::Cosmos, "p")?;
                        prop_assert_eq!(text(&record), Some(db.id.clone()));
                        prop_assert_eq!(db.endpoint.as_deref(), Some("a.documents.azure.com"));
                    }
                    Ok(None) => prop_assert!(text(&record).unwrap_or_default().is_empty()),
                    Err(error) => refused(&error, ProviderKind::Cosmos)?,
                }
                let feed = [record.clone(), other.clone()];
                for name in collection_names(&feed) {
                    prop_assert!(feed.iter().any(|r| text(r) == Some(name.clone())), "{}", name);
                }
            }
        }
    }

    #[test]
    fn offers_match_databases_by_rid_manual_and_autoscale() {
        let account =
            Account::from_url(&reqwest::Url::parse("https://a.documents.azure.com/").unwrap());
        let db = |rid: &str| {
            database(
                &json!({"id": rid, "_rid": rid}),
                &account,
                "p",
                &shared(false),
            )
            .unwrap()
            .unwrap()
        };
        let offers = vec![
            json!({"id": "Hu+t", "offerResourceId": "rgkVAA==", "content": {"offerThroughput": 800}}),
            json!({"id": "uT2L", "offerResourceId": "x9kVAA==", "content": {"offerThroughput": 400,
                "offerAutopilotSettings": {"maxThroughput": 4000}}}),
            json!("junk"),
        ];
        let manual = usage(&offers, &db("rgkVAA==")).unwrap();
        assert_eq!(
            (manual.throughput_ru, manual.throughput_max_ru),
            (Some(800), None)
        );
        let auto = usage(&offers, &db("x9kVAA==")).unwrap();
        assert_eq!(
            (auto.throughput_ru, auto.throughput_max_ru),
            (Some(400), Some(4000))
        );
        let none = usage(&offers, &db("nothing=")).unwrap();
        assert_eq!((none.throughput_ru, none.throughput_max_ru), (None, None));
        // The database's own offer without a usable figure is an error, not "no throughput".
        for content in [
            json!({"offerThroughput": 0}),
            json!({"offerThroughput": -5}),
            json!({"offerThroughput": 400, "offerAutopilotSettings": {"maxThroughput": 1e30}}),
            json!("junk"),
        ] {
            let offers = vec![json!({"id": "b4d", "offerResourceId": "bad=", "content": content})];
            let error = usage(&offers, &db("bad=")).unwrap_err();
            assert_eq!(error.exit_code(), 8, "{}", error.message);
        }
        assert_eq!(offer_mode(&offers[0]), (Some("Hu+t".into()), false));
        assert_eq!(offer_mode(&offers[1]), (Some("uT2L".into()), true));
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
