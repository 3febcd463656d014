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

/// The deepest expression `--query` takes, far past any real query: jpx-core's parser
/// recurses once per level and would overflow the stack on a few thousand.
const MAX_DEPTH: usize = 64;

/// How much of the expression an error message repeats, in characters.
const ECHOED: usize = 200;

impl Query {
    /// Compiles `text`; a syntax error names the column it is at.
    pub fn parse(text: &str) -> Result<Query, String> {
        if depth(text) > MAX_DEPTH {
            return Err(format!("--query nests deeper than {MAX_DEPTH} levels"));
        }
        jpx_core::compile(text).map(Query).map_err(|e| failure(&e))
    }

    /// The expression applied to `document`.
    pub fn apply(&self, document: &Value) -> Result<Value, String> {
        self.0.search(document).map_err(|e| failure(&e))
    }
}

/// One line: the reason, and where in the expression; both cut to [`ECHOED`] characters.
fn failure(error: &jpx_core::JmespathError) -> String {
    format!(
        "--query {:?}: {} (at column {})",
        capped(&error.expression),
        capped(&error.reason.to_string()),
        error.column() + 1
    )
}

/// `text`, or its first [`ECHOED`] characters and `…`.
fn capped(text: &str) -> String {
    match text.char_indices().nth(ECHOED) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// How deep the expression `text` nests, counted without parsing it: each group (`(…)`,
/// `[…]`, `{…}`) one level deeper than the element holding it, groups one after another
/// (`a[0][0]`) and the links of a chain (`.`, `|`, `||`, `&&`, `!`, `&`, comparisons) one
/// more each, as the tree they parse to nests. Quoted names, raw strings and JSON literals
/// are skipped; a group left open (a syntax error the parser names) counts as closed.
fn depth(text: &str) -> usize {
    let mut open: Vec<Group> = Vec::new();
    let mut group = Group::default();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                while let Some(next) = chars.next() {
                    if next == '\\' {
                        chars.next();
                    } else if next == c {
                        break;
                    }
                }
            }
            '(' | '[' | '{' => open.push(std::mem::take(&mut group)),
            ')' | ']' | '}' => {
                if let Some(outer) = open.pop() {
                    group = outer.holding(group);
                }
            }
            ',' => group.next_element(),
            '.' | '|' | '&' | '=' | '!' | '<' | '>' => {
                // `||`, `&&`, `==`, `!=`, `<=` and `>=` are one link each.
                let pair = if matches!(c, '|' | '&') { c } else { '=' };
                if c != '.' && chars.peek() == Some(&pair) {
                    chars.next();
                }
                group.element += 1;
            }
            _ => {}
        }
    }
    while let Some(outer) = open.pop() {
        group = outer.holding(group);
    }
    group.depth()
}

/// A group of the expression being measured: its deepest element so far (elements are
/// separated by commas: a list's items, a function's arguments), and the one being read.
#[derive(Default)]
struct Group {
    deepest: usize,
    element: usize,
}

impl Group {
    fn next_element(&mut self) {
        self.deepest = self.depth();
        self.element = 0;
    }

    fn depth(&self) -> usize {
        self.deepest.max(self.element)
    }

    /// This group, its element holding the closed group `inner`.
    fn holding(mut self, inner: Group) -> Group {
        self.element += inner.depth() + 1;
        self
    }
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
        // A long expression is echoed cut, with `…`; so is the reason quoting it.
        let long = format!("{} ==", "x".repeat(300));
        let error = Query::parse(&long).unwrap_err();
        assert_eq!(
            error,
            format!(
                "--query \"{}…\": Parse error: Unexpected nud token -- found Eof (at column 304)",
                "x".repeat(200)
            )
        );
        let error = Query::parse(&format!("`{}", "y".repeat(500))).unwrap_err();
        assert_eq!(
            error,
            format!(
                "--query \"`{}…\": Parse error: Unclosed ` delimiter: `{}… (at column 1)",
                "y".repeat(199),
                "y".repeat(164)
            )
        );
        // The spec's functions only: no extensions.
        assert!(Query::parse("upper('a')")
            .unwrap()
            .apply(&json!({}))
            .is_err());
    }

    #[test]
    fn depth_counts_groups_and_chain_links_outside_quotes() {
        for (text, want) in [
            ("name", 0),
            ("a.b | c", 2),
            ("not_null(not_null(name))", 2),
            ("a[0][0][0]", 3),
            ("[a.b, c] | {x: (p.q.r), y: s}", 7),
            ("[?status != 'active' && !a || b >= `1`]", 6),
            (
                "'((((' || \"[[[\\\"[[\" || `{\"a\": [[[1]]], \"b\": \"\\`((\"}`",
                2,
            ),
            ("f(((", 3),
        ] {
            assert_eq!(depth(text), want, "{text}");
        }
    }

    #[test]
    fn an_expression_nested_past_the_bound_is_refused_before_the_parser() {
        let nested = |n: usize| format!("{}name{}", "not_null(".repeat(n), ")".repeat(n));
        assert!(Query::parse(&nested(MAX_DEPTH)).is_ok());
        let refused = "--query nests deeper than 64 levels";
        for text in [
            nested(MAX_DEPTH + 1),
            nested(100_000),
            "[".repeat(100_000),
            format!("a{}", ".a".repeat(MAX_DEPTH + 1)),
            format!("a{}", " || a".repeat(MAX_DEPTH + 1)),
            format!("{}a", "!".repeat(MAX_DEPTH + 1)),
        ] {
            assert_eq!(Query::parse(&text).unwrap_err(), refused);
        }
    }
}
