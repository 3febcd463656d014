//! Tasks as they progress over time.
use super::*;

/// A task as it looks now: invisible (404) for a moment, then received, in progress, done.
pub(super) fn task_view(task: &Task, base: &str, clock: Clock) -> Option<Value> {
    let age = clock.since(task.started);
    if age < INVISIBLE {
        return None;
    }
    let mut record = task.record.clone();
    if task.effect.is_some() {
        let (status, description) = if age < RECEIVED {
            (
                "received",
                "Task request received and is being queued for processing.",
            )
        } else {
            (
                "processing-in-progress",
                "Request processing is in progress",
            )
        };
        record["status"] = json!(status);
        record["description"] = json!(description);
    }
    let mut links =
        vec![json!({"rel": "self", "type": "GET", "href": format!("{base}/v1/tasks/{}", task.id)})];
    if let Some(resource) = &task.resource {
        links.insert(
            0,
            json!({"rel": "resource", "type": "GET", "href": format!("{base}{resource}")}),
        );
    }
    record["links"] = Value::Array(links);
    Some(record)
}

pub(super) async fn get_task(
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = authorized(&headers) {
        return refused;
    }
    let base = base(&headers);
    let mut state = lock(&store);
    state.tick();
    match state
        .tasks
        .iter()
        .find(|t| t.id == id)
        .and_then(|t| task_view(t, &base, state.setup.clock()))
    {
        Some(record) => Json(record).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "TASK_NOT_FOUND",
            &format!("Task {id} was not found"),
        ),
    }
}

pub(super) async fn list_tasks(AxumState(store): Shared, headers: HeaderMap) -> Response {
    if let Err(refused) = authorized(&headers) {
        return refused;
    }
    let base = base(&headers);
    let mut state = lock(&store);
    state.tick();
    let tasks: Vec<Value> = state
        .tasks
        .iter()
        .filter_map(|t| task_view(t, &base, state.setup.clock()))
        .collect();
    Json(Value::Array(tasks)).into_response()
}
