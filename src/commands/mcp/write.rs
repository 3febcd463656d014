//! The write tools (`--allow-writes`) and the delete tools (`--allow-deletes` too). None of
//! them prompts and none blocks: each answers with what the provider said and the `wait` call
//! that follows it; `apply` carries its plan out in the background under an id of its own.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{CallToolResult, JsonObject};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::watch;

use super::params::{self, parse};
use super::read::{Waited, SPEC_ORIGIN};
use super::{failed, off_runtime, parsed, record, records, Dbctl};
use crate::cli::ScopeArgs;
use crate::commands::desired::{self, apply::Checked};
use crate::commands::{App, Found};
use crate::error::{Error, ErrorKind, Result};
use crate::model::Status;
use crate::provider::{BackupTaken, Change, Operation, Provider};

/// Changes an apply makes at once, as `dbctl apply --concurrency` by default.
const APPLY_CONCURRENCY: usize = 4;
/// How long each change of an apply may take to finish, as `dbctl apply --wait-timeout`.
const APPLY_CHANGE_TIMEOUT: Duration = Duration::from_secs(600);

/// A write's answer.
#[derive(Serialize, JsonSchema)]
pub struct Changed {
    /// What the provider answered, as the CLI's `--json` prints it: the `Database`, a `Task`,
    /// `{result, message}`, or a dry run's request.
    result: Value,
    /// The `wait` call that follows the change to its end while it runs on at the provider;
    /// null when it is done.
    next: Option<Value>,
}

/// `apply`'s answer.
#[derive(Serialize, JsonSchema)]
pub struct Applying {
    /// The plan being carried out, as `plan` gives it.
    actions: Vec<Value>,
    /// The apply's id; null when there was nothing to change.
    apply_id: Option<String>,
    /// The `wait` call that follows it to its end.
    next: Option<Value>,
}

/// The applies this server runs, each until it ends (and then its outcome), by id.
#[derive(Default)]
pub(super) struct Applies {
    started: AtomicU64,
    running: Mutex<HashMap<String, watch::Receiver<Option<Applied>>>>,
}

/// How an apply ended: each planned change's outcome (`dbctl apply --json`), and the first
/// failure, where it stopped.
#[derive(Clone)]
struct Applied {
    outcomes: Vec<Value>,
    error: Option<Error>,
}

#[tool_router(router = write_tools, vis = "pub(super)")]
impl Dbctl {
    /// Create a database (as `dbctl db create`). Answers at once: the database, or the task
    /// that creates it, with the `wait` call that follows it.
    #[tool(annotations(read_only_hint = false, destructive_hint = false, open_world_hint = true), input_schema = rmcp::handler::server::tool::schema_for_type::<params::CreateParams>())]
    async fn create_database(
        &self,
        Parameters(arguments): Parameters<JsonObject>,
    ) -> Result<Json<Changed>, CallToolResult> {
        let app = self.app();
        let run = async {
            let params = parse::<params::CreateParams>(arguments)?;
            let provider = app.provider(&params.target()?, Operation::Create)?;
            let change = provider.create(&params.request()?).await?;
            changed(&app, provider.as_ref(), change, None)
        };
        run.await.map(Json).map_err(failed)
    }

    /// Change a database (as `dbctl db update`): memory, name, provider settings, Cosmos
    /// throughput. Answers at once, with the `wait` call that follows the change.
    #[tool(annotations(read_only_hint = false, destructive_hint = false, open_world_hint = true), input_schema = rmcp::handler::server::tool::schema_for_type::<params::UpdateParams>())]
    async fn update_database(
        &self,
        Parameters(arguments): Parameters<JsonObject>,
    ) -> Result<Json<Changed>, CallToolResult> {
        let app = self.app();
        let run = async {
            let params = parse::<params::UpdateParams>(arguments)?;
            let request = params.request()?;
            let Found { provider, db } = app
                .find(&params.one.target()?, Operation::Update, &params.one.id)
                .await?;
            if request.throughput.is_some() {
                provider.require(Operation::Throughput)?;
            }
            let change = provider.update(&db.id, &request).await?;
            changed(&app, provider.as_ref(), change, Some((&db.id, false)))
        };
        run.await.map(Json).map_err(failed)
    }

    /// Take a backup of a database now (as `dbctl backup create`). Answers at once, with the
    /// `wait` call that follows it.
    #[tool(annotations(read_only_hint = false, destructive_hint = false, open_world_hint = true), input_schema = rmcp::handler::server::tool::schema_for_type::<params::BackupParams>())]
    async fn create_backup(
        &self,
        Parameters(arguments): Parameters<JsonObject>,
    ) -> Result<Json<Changed>, CallToolResult> {
        let app = self.app();
        let run = async {
            let params = parse::<params::BackupParams>(arguments)?;
            let Found { provider, db } = app
                .find(
                    &params.one.target()?,
                    Operation::BackupCreate,
                    &params.one.id,
                )
                .await?;
            match provider
                .create_backup(&db.id, params.name.as_deref())
                .await?
            {
                BackupTaken::Backup(backup) => Ok(Changed {
                    result: record(&app, &backup)?,
                    next: None,
                }),
                BackupTaken::Task(task) => {
                    changed(&app, provider.as_ref(), Change::Task(task), None)
                }
            }
        };
        run.await.map(Json).map_err(failed)
    }

    /// Make the fleet match a spec (TOML text, as `export` gives it; as `dbctl apply --yes`):
    /// checked first as `plan` and the providers' dry runs check it, so a spec they would
    /// refuse changes nothing; then carried out in the background. Answers at once with the
    /// plan and an apply id for `wait`. `prune` (deleting what is not in the spec) needs the
    /// server's --allow-deletes.
    #[tool(annotations(read_only_hint = false, destructive_hint = true, open_world_hint = true), input_schema = rmcp::handler::server::tool::schema_for_type::<params::ApplyParams>())]
    async fn apply(
        &self,
        Parameters(arguments): Parameters<JsonObject>,
    ) -> Result<Json<Applying>, CallToolResult> {
        let app = self.app();
        let run = async {
            let params = parse::<params::ApplyParams>(arguments)?;
            if params.prune {
                self.deletes_allowed("apply with prune")?;
            }
            let fleet = params.plan.profiles.fleet()?;
            // With `prune`, the deletes the spec's own `prune = true` would plan too.
            let scope = ScopeArgs {
                prune: params.prune,
                ..ScopeArgs::default()
            };
            let actions = desired::differences_in_text(
                &app,
                params.plan.spec()?,
                SPEC_ORIGIN,
                &fleet,
                &scope,
            )
            .await?;
            let planned = records(&app, &actions)?;
            let (app, checked) = off_runtime(move || async move {
                let checked = Checked::new(&app, actions, APPLY_CONCURRENCY).await;
                checked.map(|checked| (app, checked))
            })
            .await??;
            if !checked.deletes().is_empty() {
                self.deletes_allowed("apply with prune")?;
            }
            if checked.work().is_empty() && checked.deletes().is_empty() {
                return Ok(Applying {
                    actions: planned,
                    apply_id: None,
                    next: None,
                });
            }
            let id = self.applies.start(app, checked);
            Ok(Applying {
                actions: planned,
                next: Some(json!({"tool": "wait", "arguments": {"apply_id": id}})),
                apply_id: Some(id),
            })
        };
        run.await.map(Json).map_err(failed)
    }
}

#[tool_router(router = delete_tools, vis = "pub(super)")]
impl Dbctl {
    /// Delete a database (as `dbctl db delete --yes`). Answers at once, with the `wait` call
    /// that follows it until the database is gone.
    #[tool(annotations(read_only_hint = false, destructive_hint = true, open_world_hint = true), input_schema = rmcp::handler::server::tool::schema_for_type::<params::OneParams>())]
    async fn delete_database(
        &self,
        Parameters(arguments): Parameters<JsonObject>,
    ) -> Result<Json<Changed>, CallToolResult> {
        let app = self.app();
        let run = async {
            let one = parse::<params::OneParams>(arguments)?.one;
            let Found { provider, db } =
                app.find(&one.target()?, Operation::Delete, &one.id).await?;
            let change = provider.delete(&db.id).await?;
            changed(&app, provider.as_ref(), change, Some((&db.id, true)))
        };
        run.await.map(Json).map_err(failed)
    }
}

impl Dbctl {
    /// Refuses (exit 6, nothing changed) a delete the server was not started to allow.
    fn deletes_allowed(&self, what: &str) -> Result<()> {
        if self.allow.deletes {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::Invalid,
            format!("refusing to {what}: this server was started without --allow-deletes; nothing was changed"),
        )
        .with_hint("deletes need `dbctl mcp --allow-writes --allow-deletes`"))
    }

    /// `wait` for an apply: its outcomes once it ended, its failure (with the outcomes) as
    /// an error, or a timeout (exit 11) while it runs on.
    pub(super) async fn wait_apply(
        &self,
        id: &str,
        timeout: Duration,
    ) -> Result<Json<Waited>, CallToolResult> {
        let running = self
            .applies
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned();
        let Some(mut running) = running else {
            return Err(failed(Error::not_found(format!(
                "no apply {id:?} on this server; `apply` gives the id"
            ))));
        };
        let ended = match tokio::time::timeout(timeout, running.wait_for(Option::is_some)).await {
            Ok(Ok(ended)) => ended.clone(),
            Ok(Err(_)) => None,
            Err(_) => {
                return Err(failed(
                    Error::timeout(format!(
                        "gave up after {}s waiting for apply {id}; it is still running",
                        timeout.as_secs_f64()
                    ))
                    .with_hint("call wait again"),
                ))
            }
        };
        let Some(Applied { outcomes, error }) = ended else {
            return Err(failed(Error::internal(format!(
                "apply {id} ended without an outcome"
            ))));
        };
        match error {
            None => Ok(Json(Waited {
                result: json!({"apply_id": id, "outcomes": outcomes}),
            })),
            Some(error) => {
                let mut answer = error.to_json();
                answer["outcomes"] = Value::Array(outcomes);
                Err(CallToolResult::structured_error(answer))
            }
        }
    }
}

impl Applies {
    /// Carries out a checked plan in the background; its id for `wait`.
    fn start(&self, app: App, checked: Checked) -> String {
        let id = format!("apply-{}", self.started.fetch_add(1, Ordering::Relaxed) + 1);
        let (ended, running) = watch::channel(None);
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone(), running);
        drop(off_runtime(move || async move {
            let (outcomes, error) = checked.carry_out(&app, APPLY_CHANGE_TIMEOUT).await;
            let applied = match records(&app, &outcomes) {
                Ok(outcomes) => Applied { outcomes, error },
                Err(e) => Applied {
                    outcomes: Vec::new(),
                    error: Some(error.unwrap_or(e)),
                },
            };
            let _ = ended.send(Some(applied));
        }));
        id
    }
}

/// A write's answer: what the provider said, and the `wait` call that follows it while it
/// runs on (`database`: its id, and whether the change deletes it).
fn changed(
    app: &App,
    provider: &dyn Provider,
    change: Change,
    database: Option<(&str, bool)>,
) -> Result<Changed> {
    let wait = |arguments: Value| {
        let mut arguments = arguments;
        arguments["provider"] = json!(provider.kind().name());
        arguments["profile"] = json!(provider.profile());
        Some(json!({"tool": "wait", "arguments": arguments}))
    };
    let next = match &change {
        Change::Task(task) if !task.status.is_done() => wait(json!({"task_id": task.id})),
        Change::Database(db) if db.status != Status::Active => wait(json!({"database_id": db.id})),
        Change::Accepted(_) => match database {
            Some((id, deleted)) => wait(json!({"database_id": id, "deleted": deleted})),
            None => None,
        },
        _ => None,
    };
    let result = parsed(&crate::commands::db::write::change_text(&app.out, &change)?)?;
    Ok(Changed { result, next })
}
