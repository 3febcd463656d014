//! Cosmos DB's JSON, as it really arrives (see fixtures/cosmos). Feeds (`{_rid, Databases |
//! DocumentCollections, _count}`) are read as JSON values so `--raw` keeps each record whole.
use serde::Deserialize;

use crate::provider::lenient;

/// A database resource: `{id, _rid, _self, _etag, _ts, _colls, _users}`.
#[derive(Debug, Deserialize)]
pub(super) struct Database {
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: Option<String>,
    /// Last change, Unix seconds.
    #[serde(rename = "_ts", default, deserialize_with = "lenient::signed")]
    pub ts: Option<i64>,
    /// The resource id offers name as `offerResourceId`.
    #[serde(rename = "_rid", default, deserialize_with = "lenient::string")]
    pub rid: Option<String>,
}

/// An offer (`GET /offers`, V2): the provisioned throughput of a database or container.
#[derive(Debug, Deserialize)]
pub(super) struct Offer {
    /// The offer's own rid (4 characters, may hold `+`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: Option<String>,
    /// The `_rid` of the database (or container) it provisions.
    #[serde(
        rename = "offerResourceId",
        default,
        deserialize_with = "lenient::string"
    )]
    pub offer_resource_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub content: Option<OfferContent>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct OfferContent {
    /// Manual: the RU/s; autoscale: what it is scaled to now.
    #[serde(
        rename = "offerThroughput",
        default,
        deserialize_with = "lenient::unsigned"
    )]
    pub offer_throughput: Option<u64>,
    #[serde(
        rename = "offerAutopilotSettings",
        default,
        deserialize_with = "lenient::object"
    )]
    pub autopilot: Option<Autopilot>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Autopilot {
    #[serde(
        rename = "maxThroughput",
        default,
        deserialize_with = "lenient::unsigned"
    )]
    pub max_throughput: Option<u64>,
}

/// A container (collection) resource; only its id matters here.
#[derive(Debug, Deserialize)]
pub(super) struct Collection {
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: Option<String>,
}
