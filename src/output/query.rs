//! `-q/--query EXPR`: JMESPath (the dialect of az, aws and redisctl) over the JSON document a
//! command prints, checked when the command line is read.
use serde_json::Value;

/// A compiled `--query` expression.
#[derive(Clone)]
pub struct Query(jpx_core::Expression<'static>);

impl std::fmt::Debug for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Query({:?})", self.0.as_str())
    }
}

impl Query {
    /// Compiles `text`; a syntax error names the column it is at.
    pub fn parse(text: &str) -> Result<Query, String> {
        jpx_core::compile(text).map(Query).map_err(|e| failure(&e))
    }

    /// The expression applied to `document`.
    pub fn apply(&self, document: &Value) -> Result<Value, String> {
        self.0.search(document).map_err(|e| failure(&e))
    }
}

/// One line: the reason, and where in the expression.
fn failure(error: &jpx_core::JmespathError) -> String {
    format!(
        "--query {:?}: {} (at column {})",
        error.expression,
        error.reason,
        error.column() + 1
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn queries_keep_key_order_and_integers() {
        let data = json!([
            {"name": "b", "id": "2", "port": 6380, "memory_limit_bytes": 9007199254740993u64},
            {"name": "a", "id": "1", "port": 6379, "memory_limit_bytes": null}
        ]);
        let select = |q: &str| Query::parse(q).unwrap().apply(&data).unwrap();
        assert_eq!(
            select("[].{name: name, id: id}").to_string(),
            r#"[{"name":"b","id":"2"},{"name":"a","id":"1"}]"#
        );
        assert_eq!(select("[?port > `6379`].name"), json!(["b"]));
        assert_eq!(select("sort_by(@, &name)[0].id"), json!("1"));
        assert_eq!(select("[0].memory_limit_bytes"), json!(9007199254740993u64));
    }

    #[test]
    fn errors_are_one_line_with_a_column() {
        let error = Query::parse("[?name ==").unwrap_err();
        assert!(!error.contains('\n'), "{error}");
        assert!(
            error.starts_with("--query \"[?name ==\": Parse error"),
            "{error}"
        );
        assert!(error.ends_with("(at column 10)"), "{error}");
        let runtime = Query::parse("length(`1`)")
            .unwrap()
            .apply(&json!({}))
            .unwrap_err();
        assert!(runtime.contains("Runtime error"), "{runtime}");
        // The spec's functions only: no extensions.
        assert!(Query::parse("upper('a')")
            .unwrap()
            .apply(&json!({}))
            .is_err());
    }
}
