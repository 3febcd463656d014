//! Cosmos records → the model.
use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::wire;
use crate::error::{Error, Result};
use crate::model::ProviderKind;
use crate::model::Usage;
use crate::model::{rfc3339_from_unix, Database, Status, Throughput};
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

/// The account's offers by the resource id they provision, each decoded once: a database's
/// offer is one lookup, so matching a fleet to its offers is linear.
pub(super) struct Offers<'a> {
    by_resource: HashMap<String, (&'a Value, wire::Offer)>,
}

impl<'a> Offers<'a> {
    pub fn index(offers: &'a [Value]) -> Offers<'a> {
        let mut by_resource = HashMap::with_capacity(offers.len());
        for raw in offers {
            let Ok(offer) = wire::Offer::deserialize(raw) else {
                continue;
            };
            if let Some(rid) = offer.offer_resource_id.clone() {
                // Two offers for one resource: the first, as the feed lists them.
                by_resource.entry(rid).or_insert((raw, offer));
            }
        }
        Offers { by_resource }
    }

    /// A database's own offer, as sent and decoded: the one whose `offerResourceId` is the
    /// database's `_rid`.
    pub fn of(&self, db: &Database) -> Option<(&'a Value, &wire::Offer)> {
        let rid = db.facts.resource_id.as_deref()?;
        self.by_resource.get(rid).map(|(raw, offer)| (*raw, offer))
    }
}

/// The offer's rid and whether it is autoscale.
pub(super) fn offer_mode(offer: &wire::Offer) -> (Option<String>, bool) {
    let autoscale = offer
        .content
        .as_ref()
        .is_some_and(|c| c.autopilot.is_some());
    (offer.id.clone().filter(|id| !id.is_empty()), autoscale)
}

/// A database's own offer, read: its throughput and the RU/s it runs at now (autoscale: what
/// it is scaled to); `None` when it has no offer of its own (its containers may have theirs).
/// Its offer without a positive RU/s (manual) or maximum (autoscale) is undecodable, not
/// "none": `plan` would read it as a database that cannot be given throughput.
pub(super) fn provisioned(
    offers: &Offers,
    db: &Database,
) -> Result<Option<(Throughput, Option<u64>)>> {
    let Some((_, offer)) = offers.of(db) else {
        return Ok(None);
    };
    let unreadable = || {
        Error::provider_error(format!(
            "cosmos sent an offer for database {:?} without a readable throughput",
            db.id
        ))
        .with_provider(ProviderKind::Cosmos)
    };
    let positive = |ru: Option<u64>| ru.filter(|ru| *ru > 0);
    let content = offer.content.as_ref().ok_or_else(unreadable)?;
    let read = match &content.autopilot {
        // Autoscale: the maximum is the setting; `offerThroughput` is where it is scaled now.
        Some(autopilot) => positive(autopilot.max_throughput)
            .map(|max| (Throughput::Autoscale(max), content.offer_throughput)),
        None => positive(content.offer_throughput).map(|ru| (Throughput::Manual(ru), Some(ru))),
    };
    read.map(Some).ok_or_else(unreadable)
}

/// Usage from the offers feed, indexed (`None`: a serverless account, which has none). Cosmos
/// reports no memory or connections; storage is per container, so it stays null here.
pub(super) fn usage(offers: Option<&Offers>, db: &Database) -> Result<Usage> {
    let Some(offers) = offers else {
        return Ok(Usage {
            note: Some("cosmos serverless accounts have no provisioned throughput".into()),
            ..Usage::of(db)
        });
    };
    let (throughput_ru, throughput_max_ru) = match provisioned(offers, db)? {
        None => (None, None),
        Some((Throughput::Manual(ru), _)) => (Some(ru), None),
        Some((Throughput::Autoscale(max), now)) => (now, Some(max)),
    };
    Ok(Usage {
        throughput_ru,
        throughput_max_ru,
        sampled_at: Some(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        ..Usage::of(db)
    })
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
                &crate::context::Requests {
                    timeout: std::time::Duration::from_secs(1),
                    attempts: 1,
                    ..Default::default()
                },
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
        let index = Offers::index(&offers);
        let usage = |index: &Offers, db: &Database| usage(Some(index), db);
        let manual = usage(&index, &db("rgkVAA==")).unwrap();
        assert_eq!(
            (manual.throughput_ru, manual.throughput_max_ru),
            (Some(800), None)
        );
        let auto = usage(&index, &db("x9kVAA==")).unwrap();
        assert_eq!(
            (auto.throughput_ru, auto.throughput_max_ru),
            (Some(400), Some(4000))
        );
        let none = usage(&index, &db("nothing=")).unwrap();
        assert_eq!((none.throughput_ru, none.throughput_max_ru), (None, None));
        assert_eq!(
            provisioned(&index, &db("x9kVAA==")).unwrap(),
            Some((Throughput::Autoscale(4000), Some(400)))
        );
        assert_eq!(provisioned(&index, &db("nothing=")).unwrap(), None);
        // The database's own offer without a usable figure is an error, not "no throughput".
        for content in [
            json!({"offerThroughput": 0}),
            json!({"offerThroughput": -5}),
            json!({"offerThroughput": 400, "offerAutopilotSettings": {"maxThroughput": 1e30}}),
            json!("junk"),
        ] {
            let offers = vec![json!({"id": "b4d", "offerResourceId": "bad=", "content": content})];
            let error = usage(&Offers::index(&offers), &db("bad=")).unwrap_err();
            assert_eq!(error.exit_code(), 8, "{}", error.message);
        }
        let mode = |rid: &str| offer_mode(index.of(&db(rid)).unwrap().1);
        assert_eq!(mode("rgkVAA=="), (Some("Hu+t".into()), false));
        assert_eq!(mode("x9kVAA=="), (Some("uT2L".into()), true));
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
