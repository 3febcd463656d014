//! Writes: create, update, delete, backup and import, each answered with a task.
use super::*;

fn body_object(body: Option<Json<Value>>) -> Result<Map<String, Value>, Response> {
    match body {
        Some(Json(Value::Object(map))) => Ok(map),
        _ => Err(error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "The request body must be a JSON object",
        )),
    }
}

/// 202 with the task started, or why none could start.
fn accepted(task: Result<Value, Response>) -> Response {
    match task {
        Ok(record) => (StatusCode::ACCEPTED, Json(record)).into_response(),
        Err(refused) => refused,
    }
}

pub(super) async fn create(
    family: Family,
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(sub): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    let sub = match locate(&store, family, &headers, &sub, None) {
        Ok((sub, _)) => sub,
        Err(refused) => return refused,
    };
    let body = match body_object(body) {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let Some(name) = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .map(str::to_string)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "name is required",
        );
    };
    let size = body
        .get("datasetSizeInGb")
        .or_else(|| body.get("memoryLimitInGb"));
    let size = match size {
        None => 1.0,
        Some(size) => match size.as_f64() {
            Some(gb) if gb > 0.0 && family == Family::Pro => gb,
            Some(_) if family == Family::Essentials => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "INVALID_REQUEST",
                    "Essentials databases take their size from the subscription plan",
                )
            }
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "INVALID_REQUEST",
                    "datasetSizeInGb must be a positive number",
                )
            }
        },
    };
    let base = base(&headers);
    let mut state = lock(&store);
    let taken = state
        .databases
        .iter()
        .any(|d| d.subscription == sub && d.record["name"] == name.as_str());
    if taken {
        let effect = Effect::Fail(
            "DATABASE_NAME_IN_USE",
            format!("Database name '{name}' is already in use in subscription {sub}"),
        );
        return accepted(state.start("createDatabaseRequest", effect, &base));
    }
    if let Some(refusal) = full(state.databases.len()) {
        return error(
            StatusCode::BAD_REQUEST,
            "DATABASES_LIMIT_EXCEEDED",
            &refusal,
        );
    }
    let id = state.next_id();
    let Some(mut record) = state.database_record(sub, id, &name, size, "pending") else {
        return no_subscription(sub);
    };
    let mut extra = client_changes(body);
    for key in ["name", "datasetSizeInGb", "memoryLimitInGb"] {
        extra.remove(key);
    }
    merge(&mut record, nest_tls(extra));
    if let Some(refusal) = too_large(&record) {
        return error(StatusCode::BAD_REQUEST, "INVALID_REQUEST", &refusal);
    }
    let effect = Effect::Activate {
        subscription: sub,
        database: id,
    };
    let task = state.start("createDatabaseRequest", effect, &base);
    if task.is_ok() {
        state.databases.push(Database {
            subscription: sub,
            record,
        });
    }
    accepted(task)
}

/// A create or update body without the fields the API owns: ids, status, endpoints.
fn client_changes(mut body: Map<String, Value>) -> Map<String, Value> {
    for key in [
        "databaseId",
        "status",
        "publicEndpoint",
        "privateEndpoint",
        "crdbDatabases",
    ] {
        body.remove(key);
    }
    body
}

/// Refuses a change while another one runs (409), like Redis Cloud.
/// Starts a task that changes one database: a busy database answers 409; otherwise it shows
/// `status` (if given) until the task applies `changes`, and the answer is 202 with the task.
fn start_change(
    store: &Mutex<State>,
    headers: &HeaderMap,
    (sub, db): (u64, u64),
    status: Option<&str>,
    command: &str,
    changes: Map<String, Value>,
) -> Response {
    let base = base(headers);
    let mut state = lock(store);
    if let Some(refused) = busy(&mut state, sub, db) {
        return refused;
    }
    if let Some(record) = state.database(sub, db) {
        let mut changed = record.clone();
        merge(&mut changed, changes.clone());
        if let Some(refusal) = too_large(&changed) {
            return error(StatusCode::BAD_REQUEST, "INVALID_REQUEST", &refusal);
        }
    }
    let effect = Effect::Update {
        subscription: sub,
        database: db,
        changes,
    };
    let task = state.start(command, effect, &base);
    if let (Ok(_), Some(status), Some(record)) = (&task, status, state.database(sub, db)) {
        record["status"] = json!(status);
    }
    accepted(task)
}

fn busy(state: &mut State, sub: u64, db: u64) -> Option<Response> {
    let status = state.database(sub, db)?["status"].as_str()?.to_string();
    (status != "active").then(|| {
        error(
            StatusCode::CONFLICT,
            "DATABASE_BUSY",
            &format!("Database {db} is busy with another operation ({status})"),
        )
    })
}

pub(super) async fn update(
    family: Family,
    AxumState(store): Shared,
    headers: HeaderMap,
    Path((sub, db)): Path<(String, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let (sub, db) = match locate_database(&store, family, &headers, &sub, &db) {
        Ok(ids) => ids,
        Err(refused) => return refused,
    };
    let changes = match body_object(body) {
        Ok(body) if !body.is_empty() => body,
        Ok(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "Nothing to update",
            )
        }
        Err(refused) => return refused,
    };
    if let Some(size) = changes.get("datasetSizeInGb") {
        if family == Family::Essentials || !size.as_f64().is_some_and(|s| s > 0.0) {
            return error(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "datasetSizeInGb must be a positive number (Pro databases only)",
            );
        }
    }
    start_change(
        &store,
        &headers,
        (sub, db),
        Some("active-change-pending"),
        "databaseUpdateRequest",
        nest_tls(client_changes(changes)),
    )
}

pub(super) async fn delete(
    family: Family,
    AxumState(store): Shared,
    headers: HeaderMap,
    Path((sub, db)): Path<(String, String)>,
) -> Response {
    let (sub, db) = match locate_database(&store, family, &headers, &sub, &db) {
        Ok(ids) => ids,
        Err(refused) => return refused,
    };
    let base = base(&headers);
    let mut state = lock(&store);
    let effect = Effect::Remove {
        subscription: sub,
        database: db,
    };
    let task = state.start("databaseDeleteRequest", effect, &base);
    if let (Ok(_), Some(record)) = (&task, state.database(sub, db)) {
        record["status"] = json!("delete-pending");
    }
    accepted(task)
}

pub(super) async fn backup(
    family: Family,
    AxumState(store): Shared,
    headers: HeaderMap,
    Path((sub, db)): Path<(String, String)>,
) -> Response {
    let (sub, db) = match locate_database(&store, family, &headers, &sub, &db) {
        Ok(ids) => ids,
        Err(refused) => return refused,
    };
    let changes = Map::from_iter([("backup".to_string(), json!({"lastBackupTime": now_text()}))]);
    start_change(
        &store,
        &headers,
        (sub, db),
        None,
        "databaseBackupRequest",
        changes,
    )
}

pub(super) async fn import(
    family: Family,
    AxumState(store): Shared,
    headers: HeaderMap,
    Path((sub, db)): Path<(String, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let (sub, db) = match locate_database(&store, family, &headers, &sub, &db) {
        Ok(ids) => ids,
        Err(refused) => return refused,
    };
    let body = match body_object(body) {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let source = body.get("sourceType").and_then(Value::as_str).unwrap_or("");
    let uris = body
        .get("importFromUri")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if source.is_empty() || uris == 0 {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "sourceType and importFromUri are required",
        );
    }
    if source == "ftp" {
        return error(
            StatusCode::PRECONDITION_FAILED,
            "FEATURE_FLAG_IS_DISABLED",
            "Import from FTP is disabled for this account",
        );
    }
    start_change(
        &store,
        &headers,
        (sub, db),
        Some("import-pending"),
        "databaseImportRequest",
        Map::new(),
    )
}
