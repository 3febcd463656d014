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
}

/// A container (collection) resource; only its id matters here.
#[derive(Debug, Deserialize)]
pub(super) struct Collection {
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: Option<String>,
}
