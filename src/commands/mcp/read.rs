//! The read-only tools: the fleet as `db list`, `db get`, `db stats`, `db ping`, `check`,
//! `export`, `plan`, `providers` and `backup list` see it, and `wait`.
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{CallToolResult, JsonObject};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::Serialize;
use serde_json::Value;

use std::time::Duration;

use super::params::{self, parse};
use super::{failed, failures, off_runtime, record, records, Dbctl};
use crate::cli::ScopeArgs;
use crate::commands::{check, configure, db, desired, wait, App, Found};
use crate::error::Result;
use crate::model::{Database, Ping, Usage};
use crate::provider::{Change, Operation};

/// `list_databases`.
#[derive(Serialize, JsonSchema)]
pub struct Databases {
    /// `Database` records, as `dbctl db list --json` prints them.
    databases: Vec<Value>,
    /// What could not be read (a whole profile), each as the CLI's error JSON.
    failures: Vec<Value>,
}

/// `get_database`.
#[derive(Serialize, JsonSchema)]
pub struct OneDatabase {
    /// The `Database` record, as `dbctl db get --json` prints it.
    database: Value,
}

/// `usage_stats`.
#[derive(Serialize, JsonSchema)]
pub struct Usages {
    /// `Usage` records, as `dbctl db stats --json` prints them.
    usages: Vec<Value>,
    /// What could not be read (a profile, one database's figures), as the CLI's error JSON.
    failures: Vec<Value>,
}

/// `ping`.
#[derive(Serialize, JsonSchema)]
pub struct Pings {
    /// `Ping` records, as `dbctl db ping --json` prints them (`ok: false` with the `error`).
    pings: Vec<Value>,
    /// What could not be listed (a whole profile), as the CLI's error JSON.
    failures: Vec<Value>,
}

/// `check`.
#[derive(Serialize, JsonSchema)]
pub struct Findings {
    /// `Finding` records, as `dbctl check --json` prints them.
    findings: Vec<Value>,
    /// What could not be checked (a profile, one database's figures), as the CLI's error JSON.
    failures: Vec<Value>,
}

/// `export`.
#[derive(Serialize, JsonSchema)]
pub struct Exported {
    /// The spec (TOML), as `dbctl export` writes it: edit it and give it to `plan`.
    spec: String,
}

/// `plan`.
#[derive(Serialize, JsonSchema)]
pub struct Planned {
    /// Each difference, as `dbctl plan --json` prints it: `{action, profile, name, id,
    /// changes: [{field, from, to}]}`.
    actions: Vec<Value>,
    /// Whether the fleet differs from the spec (`dbctl plan` exits 13 then).
    differs: bool,
}

/// `providers`.
#[derive(Serialize, JsonSchema)]
pub struct Providers {
    /// Each profile (or provider without one), as `dbctl providers --json` prints it, with
    /// the capabilities beyond list, get, create, update and delete.
    providers: Vec<Value>,
}

/// `list_backups`.
#[derive(Serialize, JsonSchema)]
pub struct Backups {
    /// `Backup` records, as `dbctl backup list --json` prints them.
    backups: Vec<Value>,
}

/// `wait`.
#[derive(Serialize, JsonSchema)]
pub struct Waited {
    /// What was waited for, now done: a `Task`, a `Database`, `{provider, profile, id,
    /// status: "deleted"}`, or an apply's outcomes.
    pub(super) result: Value,
}

/// Where spec text comes from, for error messages.
pub(super) const SPEC_ORIGIN: &str = "spec";

#[tool_router(router = read_tools, vis = "pub(super)")]
impl Dbctl {
    /// List databases across every configured provider and profile (as `dbctl db list`),
    /// with the same filters. A profile that fails is named under `failures`; the rest is
    /// listed.
    #[tool(annotations(read_only_hint = true, open_world_hint = true), input_schema = rmcp::handler::server::tool::schema_for_type::<params::ListParams>())]
    async fn list_databases(
        &self,
        Parameters(arguments): Parameters<JsonObject>,
    ) -> Result<Json<Databases>, CallToolResult> {
        let app = self.app();
        let run = async {
            let args = parse::<params::ListParams>(arguments)?.selection.list()?;
            let gathered = app
                .gather(
                    &args,
                    |db| db,
                    |_, databases| async move { Ok((databases, Vec::new())) },
                )
                .await?;
            Ok(Databases {
                databases: records(&app, &gathered.items)?,
                failures: failures(gathered.failures()),
            })
        };
        run.await.map(Json).map_err(failed)
    }

    /// One database (as `dbctl db get`): by id, of one provider or profile.
    #[tool(annotations(read_only_hint = true, open_world_hint = true), input_schema = rmcp::handler::server::tool::schema_for_type::<params::GetParams>())]
    async fn get_database(
        &self,
        Parameters(arguments): Parameters<JsonObject>,
    ) -> Result<Json<OneDatabase>, CallToolResult> {
        let app = self.app();
        let run = async {
            let params = parse::<params::GetParams>(arguments)?;
            let Found { provider, mut db } = app
                .find(&params.one.target()?, Operation::Get, &params.one.id)
                .await?;
            if params.collections {
                provider.require(Operation::Collections)?;
                db.collections = Some(provider.collections(&db.id).await?);
            }
            Ok(OneDatabase {
                database: record(&app, &db)?,
            })
        };
        run.await.map(Json).map_err(failed)
    }

    /// Usage figures (as `dbctl db stats`): memory used and limit, `memory_used_ratio`
    /// (0-1), ops/sec, connections, Cosmos RU/s; of one database, or of every selected one.
    #[tool(annotations(read_only_hint = true, open_world_hint = true), input_schema = rmcp::handler::server::tool::schema_for_type::<params::StatsParams>())]
    async fn usage_stats(
        &self,
        Parameters(arguments): Parameters<JsonObject>,
    ) -> Result<Json<Usages>, CallToolResult> {
        let app = self.app();
        let run = async {
            let params = parse::<params::StatsParams>(arguments)?;
            let args = params.selection.list()?;
            let Some(id) = params.id.as_deref() else {
                let gathered = db::stats::fleet(&app, &args).await?;
                let usages: Vec<Usage> = gathered
                    .items
                    .iter()
                    .filter_map(|(_, u)| u.clone())
                    .collect();
                return Ok(Usages {
                    usages: records(&app, &usages)?,
                    failures: failures(gathered.failures()),
                });
            };
            let target = params.selection.profiles.target()?;
            let Found {
                provider,
                db: database,
            } = app.find(&target, Operation::Usage, id).await?;
            let (pairs, mut errors) =
                db::stats::usages(&app, provider.as_ref(), vec![database], false).await?;
            let usages: Vec<Usage> = pairs.into_iter().filter_map(|(_, u)| u).collect();
            if usages.is_empty() && !errors.is_empty() {
                return Err(errors.swap_remove(0));
            }
            Ok(Usages {
                usages: records(&app, &usages)?,
                failures: failures(&errors),
            })
        };
        run.await.map(Json).map_err(failed)
    }

    /// Data-plane reachability and latency (as `dbctl db ping`): connect with TLS as the
    /// provider says, AUTH, PING (Cosmos: signed reads); of one database, or of every
    /// selected one. A database that does not answer is a record with `ok: false`.
    #[tool(annotations(read_only_hint = true, open_world_hint = true), input_schema = rmcp::handler::server::tool::schema_for_type::<params::PingParams>())]
    async fn ping(
        &self,
        Parameters(arguments): Parameters<JsonObject>,
    ) -> Result<Json<Pings>, CallToolResult> {
        let app = self.app();
        let app = &app;
        let run = async {
            let params = parse::<params::PingParams>(arguments)?;
            let count = params.count()?;
            let args = params.selection.list()?;
            if let Some(id) = params.id.as_deref() {
                let Found {
                    provider,
                    db: database,
                } = app
                    .find(&params.selection.profiles.target()?, Operation::Get, id)
                    .await?;
                let dialer = db::ping::dialer(app, provider.as_ref())?;
                let (ping, _) = db::ping::ping(provider.as_ref(), &dialer, &database, count).await;
                return Ok(Pings {
                    pings: records(app, &[ping])?,
                    failures: Vec::new(),
                });
            }
            let gathered = app
                .gather(
                    &args,
                    |(db, _): &(Database, Ping)| db,
                    |provider, databases| async move {
                        let dialer = db::ping::dialer(app, provider.as_ref())?;
                        let pings = futures::future::join_all(databases.iter().map(|database| {
                            db::ping::ping(provider.as_ref(), &dialer, database, count)
                        }))
                        .await;
                        let pairs = databases
                            .into_iter()
                            .zip(pings)
                            .map(|(database, (ping, _))| (database, ping))
                            .collect();
                        Ok((pairs, Vec::new()))
                    },
                )
                .await?;
            let failures = failures(gathered.failures());
            let pings: Vec<Ping> = gathered.items.into_iter().map(|(_, ping)| ping).collect();
            Ok(Pings {
                pings: records(app, &pings)?,
                failures,
            })
        };
        run.await.map(Json).map_err(failed)
    }

    /// Rules over the selected databases (as `dbctl check`): status, tls, memory (used ratio
    /// at `memory_warn`/`memory_error`), backups, persistence, and reachable with `ping`.
    /// Findings are results, not errors.
    #[tool(annotations(read_only_hint = true, open_world_hint = true), input_schema = rmcp::handler::server::tool::schema_for_type::<params::CheckParams>())]
    async fn check(
        &self,
        Parameters(arguments): Parameters<JsonObject>,
    ) -> Result<Json<Findings>, CallToolResult> {
        let app = self.app();
        let run = async {
            let args = parse::<params::CheckParams>(arguments)?.check()?;
            off_runtime(move || async move {
                let (findings, errors) = check::fleet_findings(&app, &args).await?;
                Ok(Findings {
                    findings: records(&app, &findings)?,
                    failures: failures(&errors),
                })
            })
            .await?
        };
        run.await.map(Json).map_err(failed)
    }

    /// The fleet as a spec (as `dbctl export`): TOML, one [[database]] per database, keyed by
    /// profile + name. Edit it and give it to `plan` (and, where writes are enabled, `apply`).
    #[tool(annotations(read_only_hint = true, open_world_hint = true), input_schema = rmcp::handler::server::tool::schema_for_type::<params::ProfilesParams>())]
    async fn export(
        &self,
        Parameters(arguments): Parameters<JsonObject>,
    ) -> Result<Json<Exported>, CallToolResult> {
        let app = self.app();
        let run = async {
            let fleet = parse::<params::ProfilesParams>(arguments)?
                .profiles
                .fleet()?;
            Ok(Exported {
                spec: desired::export_text(&app, &fleet).await?,
            })
        };
        run.await.map(Json).map_err(failed)
    }

    /// What differs between a spec (TOML text, as `export` gives it) and the fleet (as
    /// `dbctl plan`): create, update (field, from, to), cannot change in place, unmanaged.
    /// Changes nothing.
    #[tool(annotations(read_only_hint = true, open_world_hint = true), input_schema = rmcp::handler::server::tool::schema_for_type::<params::PlanParams>())]
    async fn plan(
        &self,
        Parameters(arguments): Parameters<JsonObject>,
    ) -> Result<Json<Planned>, CallToolResult> {
        let app = self.app();
        let run = async {
            let params = parse::<params::PlanParams>(arguments)?;
            let fleet = params.profiles.fleet()?;
            let actions = desired::differences_in_text(
                &app,
                params.spec()?,
                SPEC_ORIGIN,
                &fleet,
                &ScopeArgs::default(),
            )
            .await?;
            Ok(Planned {
                differs: desired::changes_anything(&actions),
                actions: records(&app, &actions)?,
            })
        };
        run.await.map(Json).map_err(failed)
    }

    /// Each provider and profile (as `dbctl providers`): configured or not, from where, and
    /// what it can do (usage, backups, tasks, throughput...). Connects to nothing.
    #[tool(annotations(read_only_hint = true), input_schema = rmcp::handler::server::tool::schema_for_type::<params::NoParams>())]
    async fn providers(
        &self,
        Parameters(arguments): Parameters<JsonObject>,
    ) -> Result<Json<Providers>, CallToolResult> {
        let app = self.app();
        let run = || -> Result<Providers> {
            parse::<params::NoParams>(arguments)?;
            Ok(Providers {
                providers: records(&app, &configure::provider_rows(&app))?,
            })
        };
        run().map(Json).map_err(failed)
    }

    /// The backups of one database (as `dbctl backup list`; providers with backups).
    #[tool(annotations(read_only_hint = true, open_world_hint = true), input_schema = rmcp::handler::server::tool::schema_for_type::<params::OneParams>())]
    async fn list_backups(
        &self,
        Parameters(arguments): Parameters<JsonObject>,
    ) -> Result<Json<Backups>, CallToolResult> {
        let app = self.app();
        let run = async {
            let one = parse::<params::OneParams>(arguments)?.one;
            let Found { provider, db } = app
                .find(&one.target()?, Operation::BackupList, &one.id)
                .await?;
            Ok(Backups {
                backups: records(&app, &provider.backups(&db.id).await?)?,
            })
        };
        run.await.map(Json).map_err(failed)
    }

    /// Waits, at most `timeout_secs` (up to 120), for what a write started: a task to finish,
    /// a database to be active (or gone, with `deleted`), or an `apply` to end. On a timeout
    /// (exit 11 in the error) it is still running: call `wait` again.
    #[tool(annotations(read_only_hint = true, open_world_hint = true), input_schema = rmcp::handler::server::tool::schema_for_type::<params::WaitParams>())]
    async fn wait(
        &self,
        Parameters(arguments): Parameters<JsonObject>,
    ) -> Result<Json<Waited>, CallToolResult> {
        let app = self.app();
        let params = parse::<params::WaitParams>(arguments).map_err(failed)?;
        let (awaited, timeout) = params
            .awaited()
            .and_then(|awaited| Ok((awaited, params.timeout()?)))
            .map_err(failed)?;
        let result = match awaited {
            params::Awaited::Apply(id) => return self.wait_apply(id, timeout).await,
            params::Awaited::Task(id) => wait_task(&app, &params, id, timeout).await,
            params::Awaited::Database { id, deleted } => {
                wait_database(&app, &params, id, deleted, timeout).await
            }
        };
        result.map(|result| Json(Waited { result })).map_err(failed)
    }
}

/// Waits for a task to finish: the `Task`, or its failure (exit 8) or the timeout (exit 11).
async fn wait_task(
    app: &App,
    params: &params::WaitParams,
    id: &str,
    timeout: Duration,
) -> Result<Value> {
    let provider = app.provider(&params.target()?, Operation::Tasks)?;
    let task = wait::task(app, provider.as_ref(), id, timeout, wait::POLL).await?;
    record(app, &task)
}

/// Waits for a database to be active (the `Database`) or gone.
async fn wait_database(
    app: &App,
    params: &params::WaitParams,
    id: &str,
    deleted: bool,
    timeout: Duration,
) -> Result<Value> {
    // The id a write answered with (it may be gone): no lookup by name.
    let provider = app.provider(&params.target()?, Operation::Get)?;
    let accepted = Change::Accepted(String::new());
    match wait::change(app, provider.as_ref(), accepted, Some(id), deleted, timeout).await? {
        Change::Database(db) => record(app, &db),
        _ => Ok(serde_json::json!({
            "provider": provider.kind().name(),
            "profile": provider.profile(),
            "id": id,
            "status": "deleted",
        })),
    }
}
