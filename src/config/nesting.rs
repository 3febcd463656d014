//! A cheap pass over TOML text before any parser sees it: how deep keys and values nest, with
//! table headers, dotted keys, inline tables and arrays counted together. The parser bounds
//! each of those alone; combined (a dotted key inside an inline table inside another...) they
//! reach thousands of levels and overflow the stack of the parser or of what walks the values.

/// The deepest nesting read; config and spec files need fewer than ten levels.
pub const MAX_DEPTH: usize = 32;

/// What a file nesting too deep is told, after where.
pub fn refusal() -> String {
    format!("keys and values nest more than {MAX_DEPTH} levels deep (tables, dotted keys and arrays counted together)")
}

/// The byte offset where `text` first nests deeper than [`MAX_DEPTH`], if it does.
pub fn too_deep(text: &str) -> Option<usize> {
    Scanner {
        bytes: text.as_bytes(),
        at: 0,
    }
    .run()
}

/// An open inline table (`{`) or array (`[`), and the depth of what it holds.
struct Open {
    table: bool,
    depth: usize,
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Scanner<'_> {
    fn run(&mut self) -> Option<usize> {
        let mut header = 0;
        let mut open: Vec<Open> = Vec::new();
        // A key comes next (line start at the top level, after `{` or `,` in an inline table).
        let mut expect_key = true;
        // The depth of the value being read.
        let mut value_depth = 0;
        while let Some(&byte) = self.bytes.get(self.at) {
            match byte {
                b' ' | b'\t' | b'\r' => self.at += 1,
                b'\n' => {
                    self.at += 1;
                    if open.is_empty() {
                        expect_key = true;
                    }
                }
                b'#' => self.skip_comment(),
                b'[' if expect_key && open.is_empty() => {
                    // `[a.b]` or `[[a.b]]`: each part may name an array of tables, so counts
                    // as two levels.
                    let start = self.at;
                    while self.bytes.get(self.at) == Some(&b'[') {
                        self.at += 1;
                    }
                    header = 2 * self.key();
                    if header > MAX_DEPTH {
                        return Some(start);
                    }
                }
                b'}' if expect_key => {
                    // An empty inline table, or a trailing comma.
                    self.at += 1;
                    open.pop();
                    expect_key = false;
                }
                _ if expect_key => {
                    let start = self.at;
                    let base = open.last().map_or(header, |o| o.depth);
                    let segments = self.key();
                    value_depth = base + segments;
                    if value_depth > MAX_DEPTH {
                        return Some(start);
                    }
                    if self.bytes.get(self.at) == Some(&b'=') {
                        self.at += 1;
                    } else if segments == 0 {
                        // Not a key: step over it, the parser says what is wrong.
                        self.at += 1;
                    }
                    expect_key = false;
                }
                b'{' | b'[' => {
                    let depth = value_depth + 1;
                    if depth > MAX_DEPTH {
                        return Some(self.at);
                    }
                    open.push(Open {
                        table: byte == b'{',
                        depth,
                    });
                    self.at += 1;
                    expect_key = byte == b'{';
                    value_depth = depth;
                }
                b'}' | b']' => {
                    self.at += 1;
                    open.pop();
                }
                b',' => {
                    self.at += 1;
                    match open.last() {
                        Some(o) if o.table => expect_key = true,
                        Some(o) => value_depth = o.depth,
                        None => {}
                    }
                }
                b'"' | b'\'' => self.skip_string(),
                _ => self.skip_scalar(),
            }
        }
        None
    }

    /// A dotted key (`a . "b.c" . d`), up to what follows it; its number of parts.
    fn key(&mut self) -> usize {
        let mut segments = 0;
        loop {
            self.skip_blanks();
            match self.bytes.get(self.at) {
                Some(b'"' | b'\'') => self.skip_string(),
                Some(&b) if is_bare(b) => {
                    while self.bytes.get(self.at).is_some_and(|&b| is_bare(b)) {
                        self.at += 1;
                    }
                }
                _ => return segments,
            }
            segments += 1;
            self.skip_blanks();
            if self.bytes.get(self.at) != Some(&b'.') {
                return segments;
            }
            self.at += 1;
        }
    }

    fn skip_blanks(&mut self) {
        while matches!(self.bytes.get(self.at), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    fn skip_comment(&mut self) {
        while self.bytes.get(self.at).is_some_and(|&b| b != b'\n') {
            self.at += 1;
        }
    }

    /// A number, date, time or word, up to the next delimiter.
    fn skip_scalar(&mut self) {
        self.at += 1;
        while self.bytes.get(self.at).is_some_and(|&b| {
            !matches!(
                b,
                b' ' | b'\t'
                    | b'\r'
                    | b'\n'
                    | b','
                    | b'['
                    | b']'
                    | b'{'
                    | b'}'
                    | b'#'
                    | b'"'
                    | b'\''
            )
        }) {
            self.at += 1;
        }
    }

    /// A basic or literal string, on one line or (tripled quotes) several.
    fn skip_string(&mut self) {
        let quote = self.bytes[self.at];
        let escapes = quote == b'"';
        let triple = self.bytes[self.at..].starts_with(&[quote; 3]);
        self.at += if triple { 3 } else { 1 };
        while let Some(&byte) = self.bytes.get(self.at) {
            if escapes && byte == b'\\' {
                self.at += 2;
                continue;
            }
            if byte == b'\n' && !triple {
                // An unterminated string: the line ends it, the parser reports it.
                return;
            }
            self.at += 1;
            if byte != quote {
                continue;
            }
            if !triple {
                return;
            }
            if self.bytes[self.at..].starts_with(&[quote; 2]) {
                self.at += 2;
                // Up to two quotes more belong to the string (`"""a"""""`).
                for _ in 0..2 {
                    if self.bytes.get(self.at) == Some(&quote) {
                        self.at += 1;
                    }
                }
                return;
            }
        }
    }
}

fn is_bare(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-'
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Levels of tables and arrays in a parsed value.
    fn depth(value: &toml::Value) -> usize {
        match value {
            toml::Value::Table(table) => 1 + table.values().map(depth).max().unwrap_or(0),
            toml::Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// A value 20 to 45 levels deep: a spine of tables and arrays, with leaves beside it.
    fn value() -> impl Strategy<Value = toml::Value> {
        let leaf = prop_oneof![
            any::<i64>().prop_map(toml::Value::Integer),
            "[a-z.\\\\\\[{\"' =#]{0,6}".prop_map(toml::Value::String),
        ];
        let level = (any::<bool>(), "[a-z.]{1,3}", leaf.clone());
        (prop::collection::vec(level, 20..45), leaf).prop_map(|(levels, innermost)| {
            levels
                .into_iter()
                .fold(innermost, |inner, (table, key, beside)| {
                    if table {
                        toml::Value::Table(toml::Table::from_iter([
                            (key, inner),
                            ("z".to_string(), beside),
                        ]))
                    } else {
                        toml::Value::Array(vec![inner])
                    }
                })
        })
    }

    proptest! {
        /// Whatever the scan lets through parses to no more than the bound, written with
        /// table headers or inline.
        #[test]
        fn the_scan_never_undercounts(value in value()) {
            let table = toml::Table::from_iter([("k".to_string(), value)]);
            let inline = format!("k = {}\n", table["k"]);
            for text in [toml::to_string(&table).unwrap_or_default(), inline] {
                if too_deep(&text).is_none() {
                    if let Ok(parsed) = text.parse::<toml::Table>() {
                        prop_assert!(depth(&toml::Value::Table(parsed)) <= MAX_DEPTH + 1, "{}", text);
                    }
                }
            }
        }
    }

    fn depth_ok(text: &str) -> bool {
        too_deep(text).is_none()
    }

    #[test]
    fn ordinary_files_pass() {
        let spec = r#"
profiles = ["p", 'q']   # managed
[[database]]
profile = "p"
name = "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c.d.e.f.g.h"
memory = 1.5e3
when = 1979-05-27 07:32:00.999Z
text = """
[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ {{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{
a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a = 1 \""" ""
"""
literal = '''a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a'''''
[database.settings]
"alerts.memory.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c" = { x = [1, 2, { y = [] }], z = {} }
module_list = [
  { module_name = "search", module_args = "" }, # a comment [ { [
  { module_name = "json" },
]
"#;
        assert!(depth_ok(spec));
        let dots = ["a"; MAX_DEPTH - 2].join(".");
        assert!(depth_ok(&format!("[x]\n{dots} = 1\n")));
        assert!(!depth_ok(&format!("[x.y]\n{dots} = 1\n")));
    }

    #[test]
    fn every_kind_of_nesting_counts_together() {
        let deep = |text: String| too_deep(&text);
        let key = ["a"; 20_000].join(".");
        assert_eq!(deep(format!("x = 1\n{key} = 1\n")), Some(6));
        assert_eq!(deep(format!("[{key}]\n")), Some(0));
        assert_eq!(deep(format!("[[ {key} ]]\n")), Some(0));
        // `k` is level 1, each `{` and each `a` one more: the 16th `a` is level 33, at byte
        // 4 + 15 * 3 + 1.
        let tables = format!("k = {}1{}", "{a=".repeat(20_000), "}".repeat(20_000));
        assert_eq!(deep(tables), Some(50));
        let arrays = format!("k = {}1{}", "[".repeat(20_000), "]".repeat(20_000));
        assert_eq!(deep(arrays), Some(4 + 31));
        // Each alone under the bound, together over it: the second key is level 43.
        let part = ["a"; 20].join(" . ");
        let nested = format!(
            "k = {}1{}",
            format!("{{{part} = ").repeat(20),
            "}".repeat(20)
        );
        assert_eq!(deep(nested), Some(4 + 1 + part.len() + 3 + 1));
        let mixed = format!("k = {}1{}", "[{a.a=".repeat(10), "}]".repeat(10));
        assert!(deep(mixed).is_some());
    }
}
