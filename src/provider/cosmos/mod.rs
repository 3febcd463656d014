//! Azure Cosmos DB through its data-plane REST API, signed with the account's master key or
//! with a Microsoft Entra ID token (`auth = "entra"`; no Azure CLI needed, no management-plane
//! login). A "database" here is a Cosmos database of the account at `COSMOS_ENDPOINT`; its
//! containers are `collections`.
mod client;
mod convert;
mod entra;
pub(crate) mod signer;
mod wire;

use async_trait::async_trait;
use serde_json::{json, Value};

use crate::config::{EnvVar, Profile};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Call, Reply};
use crate::model::ProviderKind;
use crate::model::Usage;
use crate::model::{Connection, CosmosConnection};
use crate::model::{Database, Provisioning};
use crate::provider::dry_run;
use crate::provider::ProviderSpec;
use crate::provider::{
    AccountId, Change, CreateRequest, Provider, Shared, Throughput, UpdateRequest,
};
use crate::provider::{Fields, Managed, Operation, Settable};

/// `--set` keys `db create` accepts.
const CREATE_SETTINGS: &str = "throughput=RU/s (manual, 400 or more, in steps of 100), max_throughput=RU/s (autoscale, 1000 or more, in steps of 1000)";

/// What this provider declares about itself (collected in `provider::registry`).
pub const SPEC: ProviderSpec = ProviderSpec {
    env: ENV,
    build: |profile, shared| Ok(Box::new(Cosmos::new(profile, shared)?)),
    operations: &[
        Operation::List,
        Operation::Get,
        Operation::Create,
        Operation::Update,
        Operation::Delete,
        Operation::Url,
        Operation::Collections,
        Operation::Usage,
        Operation::Throughput,
    ],
    // No published limit: no budget unless the profile sets `rate_limit`; 429s are retried.
    requests_per_minute: None,
    usage_from_info: false,
    unsupported_hint: crate::provider::no_hint,
    fields: Fields {
        region: Settable::Never,
        memory: Settable::Never,
        tls: Settable::Never,
        throughput: Settable::Adjust,
        settings: &[],
        subscription: false,
        spellings: &[
            (Managed::Name, "id"),
            (Managed::Throughput, MANUAL),
            (Managed::Throughput, AUTOSCALE),
            (Managed::Throughput, "offerThroughput"),
            (Managed::Throughput, "maxThroughput"),
            (Managed::Throughput, "offerAutopilotSettings"),
            (Managed::Throughput, "x-ms-offer-throughput"),
        ],
    },
    // The endpoint is the account, whichever of its keys a profile holds.
    account: |profile| {
        Ok(AccountId::endpoint(
            ProviderKind::Cosmos,
            &profile.require_string("endpoint")?,
        ))
    },
};

/// The `--set` keys of manual and autoscale throughput at create, and what each takes.
const MANUAL: &str = "throughput";
const AUTOSCALE: &str = "max_throughput";
const MANUAL_RULE: &str = "throughput must be a whole number of RU/s, 400 or more in steps of 100";
const AUTOSCALE_RULE: &str =
    "max_throughput must be a whole number of RU/s, 1000 or more in steps of 1000";

/// Variables of the implicit `cosmos` profile.
pub const ENV: &[EnvVar] = &[
    EnvVar {
        var: "COSMOS_ENDPOINT",
        field: "endpoint",
        activates: true,
    },
    EnvVar {
        var: "COSMOS_KEY",
        field: "key",
        activates: true,
    },
    EnvVar {
        var: "COSMOS_AUTH",
        field: "auth",
        activates: false,
    },
    EnvVar {
        var: "COSMOS_TENANT_ID",
        field: "tenant_id",
        activates: false,
    },
    EnvVar {
        var: "COSMOS_CLIENT_ID",
        field: "client_id",
        activates: false,
    },
    EnvVar {
        var: "COSMOS_CLIENT_SECRET",
        field: "client_secret",
        activates: false,
    },
    EnvVar {
        var: "COSMOS_AUTHORITY_URL",
        field: "authority_url",
        activates: false,
    },
    EnvVar {
        var: "COSMOS_TOKEN",
        field: "token",
        activates: false,
    },
];

pub struct Cosmos {
    client: client::Client,
    shared: Shared,
    /// The profile it was built from.
    profile: Profile,
}

impl Cosmos {
    pub fn new(profile: &Profile, shared: &Shared) -> Result<Self> {
        Ok(Cosmos {
            client: client::Client::new(profile, shared)?,
            shared: shared.clone(),
            profile: profile.clone(),
        })
    }

    fn database(&self, record: &Value) -> Result<Database> {
        convert::database(
            record,
            &self.client.account,
            &self.profile.name,
            &self.shared,
        )?
        .ok_or_else(|| {
            Error::provider_error("cosmos sent a database record without an id")
                .with_origin(ProviderKind::Cosmos, &self.profile.name)
        })
    }

    /// The create request: `POST /dbs {id}` with the throughput headers `--set` asks for.
    fn create_call(request: &CreateRequest) -> Result<Call> {
        if request.memory_bytes.is_some() {
            return Err(Error::invalid(
                "cosmos sizes databases by throughput, not --memory; use --set throughput=400",
            ));
        }
        if request.region.is_some() {
            return Err(Error::invalid(
                "cosmos databases live in the account's regions; --region is not accepted (regions are set on the account)",
            ));
        }
        if request.tls.is_some() {
            return Err(Error::invalid(
                "cosmos databases take TLS from the account's endpoint; it is not set per database",
            ));
        }
        client::check_id(&request.name)?;
        let mut throughput = request.throughput;
        for (key, value) in &request.settings {
            let ru = match value {
                Value::Number(n) => n.as_u64(),
                Value::String(text) => text.trim().parse().ok(),
                _ => None,
            };
            let given = match (key.as_str(), ru) {
                (MANUAL, Some(ru)) => Throughput::Manual(ru),
                (AUTOSCALE, Some(ru)) => Throughput::Autoscale(ru),
                (MANUAL, None) => {
                    return Err(Error::invalid(format!("{MANUAL_RULE}; got {value}")))
                }
                (AUTOSCALE, None) => {
                    return Err(Error::invalid(format!("{AUTOSCALE_RULE}; got {value}")))
                }
                _ => {
                    return Err(Error::invalid(format!(
                        "cosmos does not know --set {key}; accepted: {CREATE_SETTINGS}"
                    )))
                }
            };
            if throughput.replace(given).is_some() {
                return Err(Error::invalid(
                    "give one of --set throughput= (manual) or --set max_throughput= (autoscale), once",
                ));
            }
        }
        let mut call = Call::post("/dbs").json(json!({ "id": request.name }));
        match throughput {
            None => {}
            Some(Throughput::Manual(ru)) if ru >= 400 && ru % 100 == 0 => {
                call = call.header("x-ms-offer-throughput", ru.to_string());
            }
            Some(Throughput::Autoscale(ru)) if ru >= 1000 && ru % 1000 == 0 => {
                call = call.header(
                    "x-ms-cosmos-offer-autopilot-settings",
                    json!({ "maxThroughput": ru }).to_string(),
                );
            }
            Some(Throughput::Manual(ru)) => {
                return Err(Error::invalid(format!("{MANUAL_RULE}; got {ru}")))
            }
            Some(Throughput::Autoscale(ru)) => {
                return Err(Error::invalid(format!("{AUTOSCALE_RULE}; got {ru}")))
            }
        }
        Ok(call)
    }
}

#[async_trait]
impl Provider for Cosmos {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Cosmos
    }
    fn profile(&self) -> &str {
        &self.profile.name
    }
    fn source(&self) -> &Profile {
        &self.profile
    }
    fn check_id(&self, id: &str) -> Result<()> {
        client::check_id(id)
    }
    async fn list(&self) -> Result<Vec<Database>> {
        let records = self.client.list_databases().await?;
        let mut databases = Vec::with_capacity(records.len());
        for record in &records {
            // A record without an id cannot be addressed: leave it out.
            if let Some(db) = convert::database(
                record,
                &self.client.account,
                &self.profile.name,
                &self.shared,
            )? {
                databases.push(db);
            }
        }
        Ok(databases)
    }

    async fn get(&self, id: &str) -> Result<Database> {
        let record = self.client.get_database(id).await.map_err(naming(id))?;
        self.database(&record)
    }

    async fn create(&self, request: &CreateRequest) -> Result<Change> {
        let call = Self::create_call(request)?;
        if request.dry_run {
            let headers: serde_json::Map<String, Value> = call
                .headers
                .iter()
                .map(|(name, value)| (name.to_string(), Value::String(value.clone())))
                .collect();
            let mut planned = dry_run::request("POST", call.path, call.body.as_ref());
            planned["headers"] = Value::Object(headers);
            return Ok(dry_run::change(vec![planned], None));
        }
        let record = self.client.create_database(call).await?;
        Ok(Change::Database(self.database(&record)?))
    }

    /// Replaces the database's offer: read it from the offers feed, change its content, PUT
    /// it back whole. Switching manual ↔ autoscale is a migration PUT first (the service
    /// picks a value), then the PUT that sets the one asked for.
    async fn update(&self, id: &str, request: &UpdateRequest) -> Result<Change> {
        client::check_id(id)?;
        let throughput = check_update(request)?;
        let db = self.get(id).await?;
        let Some(offers) = self.client.list_offers().await? else {
            return Err(Error::invalid(format!(
                "cosmos database {id:?} is in a serverless account, which has no provisioned throughput to change"
            ))
            .with_origin(ProviderKind::Cosmos, &self.profile.name));
        };
        let offers = convert::Offers::index(&offers);
        let Some((offer, decoded)) = offers.of(&db) else {
            return Err(Error::invalid(format!(
                "cosmos database {id:?} has no throughput of its own (no shared offer; its containers may have theirs)"
            ))
            .with_origin(ProviderKind::Cosmos, &self.profile.name));
        };
        let (Some(rid), autoscale) = convert::offer_mode(decoded) else {
            return Err(Error::provider_error("cosmos sent an offer without an id")
                .with_origin(ProviderKind::Cosmos, &self.profile.name));
        };
        let mut offer = offer.clone();
        let (content, migrate, word) = match throughput {
            Throughput::Manual(ru) => (
                json!({ "offerThroughput": ru }),
                autoscale.then_some("x-ms-cosmos-migrate-offer-to-manual-throughput"),
                format!("manual {ru} RU/s"),
            ),
            Throughput::Autoscale(ru) => (
                json!({ "offerAutopilotSettings": { "maxThroughput": ru } }),
                (!autoscale).then_some("x-ms-cosmos-migrate-offer-to-autopilot"),
                format!("autoscale up to {ru} RU/s"),
            ),
        };
        if request.dry_run {
            // The same calls as below: the migration (when the mode changes), then the offer.
            let path = format!("/offers/{}", crate::provider::path_segment(&rid));
            let mut calls = Vec::new();
            if let Some(header) = migrate {
                let mut call = dry_run::request("PUT", path.clone(), Some(&offer));
                call["headers"] = json!({ header: "true" });
                calls.push(call);
            }
            offer["offerVersion"] = json!("V2");
            offer["content"] = content;
            calls.push(dry_run::request("PUT", path, Some(&offer)));
            return Ok(dry_run::change(calls, None));
        }
        if let Some(header) = migrate {
            offer = self.client.replace_offer(&rid, offer, Some(header)).await?;
        }
        offer["offerVersion"] = json!("V2");
        offer["content"] = content;
        self.client.replace_offer(&rid, offer, None).await?;
        Ok(Change::Accepted(format!(
            "cosmos database {id}: throughput is now {word} (offer {rid})"
        )))
    }

    /// One `GET /offers` for every database.
    async fn usages(&self, databases: &[Database]) -> Result<Vec<Result<Usage>>> {
        if databases.is_empty() {
            return Ok(Vec::new());
        }
        let offers = self.client.list_offers().await?;
        let index = offers.as_deref().map(convert::Offers::index);
        Ok(databases
            .iter()
            .map(|db| convert::usage(index.as_ref(), db))
            .collect())
    }

    /// One `GET /offers`, asked even without databases: a serverless account says so there.
    async fn throughput(&self, databases: &mut [Database]) -> Result<Provisioning> {
        let Some(offers) = self.client.list_offers().await? else {
            for db in databases.iter_mut() {
                db.facts.throughput = Some(None);
            }
            return Ok(Provisioning::Serverless);
        };
        let offers = convert::Offers::index(&offers);
        for db in databases.iter_mut() {
            let own = convert::provisioned(&offers, db)?;
            db.facts.throughput = Some(own.map(|(throughput, _)| throughput));
        }
        Ok(Provisioning::PerDatabase)
    }

    async fn delete(&self, id: &str) -> Result<Change> {
        self.client.delete_database(id).await.map_err(naming(id))?;
        Ok(Change::Deleted(format!("deleted cosmos database {id}")))
    }

    async fn connection(&self, id: &str) -> Result<Connection> {
        let Some(key) = self.client.key.clone() else {
            return Err(Error::invalid(format!(
                "profile '{}' signs in with Microsoft Entra ID: there is no account key to put in a connection string",
                self.profile.name
            ))
            .with_origin(ProviderKind::Cosmos, &self.profile.name)
            .with_hint("connect with the account endpoint and an Entra ID credential (the SDKs' DefaultAzureCredential), or use a profile with the account key"));
        };
        // Only for a database that exists (exit 5 otherwise).
        self.client.get_database(id).await.map_err(naming(id))?;
        let account = &self.client.account;
        Ok(Connection::Cosmos(CosmosConnection {
            host: account.host.clone(),
            port: account.port,
            tls: account.tls,
            key,
            database: id.to_string(),
        }))
    }

    async fn collections(&self, id: &str) -> Result<Vec<String>> {
        let records = self.client.list_collections(id).await.map_err(naming(id))?;
        Ok(convert::collection_names(&records))
    }

    async fn raw_call(&self, call: Call) -> Result<Reply> {
        self.client.send(call).await
    }
}

/// What `db update` may change on cosmos, refused (exit 6) before any request: only the
/// throughput, manual 400 or more in steps of 100, autoscale 1000 or more in steps of 1000.
fn check_update(request: &UpdateRequest) -> Result<Throughput> {
    let supported = "cosmos can update a database's throughput only: --throughput RU (manual) or --autoscale-max RU";
    if request.name.is_some()
        || request.memory_bytes.is_some()
        || request.tls.is_some()
        || !request.settings.is_empty()
    {
        return Err(Error::invalid(format!(
            "{supported}; --name, --memory and --set are not accepted"
        ))
        .with_provider(ProviderKind::Cosmos));
    }
    let throughput = request
        .throughput
        .ok_or_else(|| Error::invalid(supported).with_provider(ProviderKind::Cosmos))?;
    let (ru, min, step, flag) = match throughput {
        Throughput::Manual(ru) => (ru, 400, 100, "--throughput"),
        Throughput::Autoscale(ru) => (ru, 1000, 1000, "--autoscale-max"),
    };
    if ru < min || ru % step != 0 {
        return Err(Error::invalid(format!(
            "{flag} must be {min} RU/s or more in steps of {step}; got {ru}"
        ))
        .with_provider(ProviderKind::Cosmos));
    }
    Ok(throughput)
}

/// Names the database in a not-found answer (Cosmos only says "Resource Not Found").
fn naming(id: &str) -> impl FnOnce(Error) -> Error + '_ {
    move |mut error| {
        if error.kind == ErrorKind::NotFound {
            error.message = format!("database {id:?}: {}", error.message);
        }
        error
    }
}
