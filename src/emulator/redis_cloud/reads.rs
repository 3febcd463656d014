//! Subscriptions and databases as the API lists and reads them, paged.
use super::*;

pub(super) async fn list_subscriptions(
    family: Family,
    AxumState(store): Shared,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = authorized(&headers) {
        return refused;
    }
    let mut state = lock(&store);
    state.tick();
    let subscriptions: Vec<Value> = state
        .subscriptions
        .iter()
        .filter(|s| s.family == family)
        .map(|s| subscription_record(&state, s))
        .collect();
    Json(json!({"accountId": ACCOUNT_ID, "subscriptions": subscriptions, "links": []}))
        .into_response()
}

/// `GET /subscriptions/{id}` (or `/fixed/...`): the subscription's record, 404 when missing.
pub(super) async fn get_subscription(
    family: Family,
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(sub): Path<String>,
) -> Response {
    let sub = match locate(&store, family, &headers, &sub, None) {
        Ok((sub, _)) => sub,
        Err(refused) => return refused,
    };
    let state = lock(&store);
    match state.subscription(sub, family) {
        Some(subscription) => Json(subscription_record(&state, subscription)).into_response(),
        None => no_subscription(sub),
    }
}

/// A subscription as the API shows it: a Pro one counts its databases.
fn subscription_record(state: &State, subscription: &Subscription) -> Value {
    let mut record = subscription.record.clone();
    if subscription.family == Family::Pro {
        let count = state
            .databases
            .iter()
            .filter(|d| d.subscription == subscription.id)
            .count();
        record["numberOfDatabases"] = json!(count);
    }
    record
}

pub(super) async fn list_databases(
    family: Family,
    AxumState(store): Shared,
    headers: HeaderMap,
    Path(sub): Path<String>,
    Query(query): Params,
) -> Response {
    let sub = match locate(&store, family, &headers, &sub, None) {
        Ok((sub, _)) => sub,
        Err(refused) => return refused,
    };
    let offset: usize = query
        .get("offset")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(MAX_LIMIT)
        .clamp(1, MAX_LIMIT);
    let state = lock(&store);
    let all: Vec<&Value> = state
        .databases
        .iter()
        .filter(|d| d.subscription == sub)
        .map(|d| &d.record)
        .collect();
    if all.is_empty() {
        // Redis Cloud answers an empty subscription with 404.
        return error(
            StatusCode::NOT_FOUND,
            "DATABASES_NOT_FOUND",
            &format!("Subscription {sub} has no databases"),
        );
    }
    let page: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(limit)
        .map(|d| (*d).clone())
        .collect();
    let group = json!({"subscriptionId": sub, "numberOfDatabases": all.len(), "databases": page});
    let subscription = match family {
        Family::Pro => json!([group]),
        Family::Essentials => group,
    };
    Json(json!({"accountId": ACCOUNT_ID, "subscription": subscription, "links": []}))
        .into_response()
}

pub(super) async fn get_database(
    family: Family,
    AxumState(store): Shared,
    headers: HeaderMap,
    Path((sub, db)): Path<(String, String)>,
) -> Response {
    let (sub, db) = match locate_database(&store, family, &headers, &sub, &db) {
        Ok(ids) => ids,
        Err(refused) => return refused,
    };
    let mut state = lock(&store);
    match state.database(sub, db) {
        Some(record) => Json(record.clone()).into_response(),
        None => no_database(db),
    }
}
