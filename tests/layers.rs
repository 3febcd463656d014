//! The layer order of `src/` (written in `src/lib.rs`), held: every `crate::` and `super::`
//! path outside test modules is read, resolved to the file it names, and refused when it runs
//! from a lower layer to a higher one, or when files import each other in a circle.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module's layer, lowest first. A module may use its own layer (without a
/// circle) and the layers below it, never one above. Keep in step with `src/lib.rs`.
const LAYERS: &[&[&str]] = &[
    &["secret", "files"],
    &["model", "credentials"],
    &["sanitize"],
    &["error"],
    &["tls", "paging", "context", "output", "config", "index"],
    &["http", "dataplane"],
    &["provider"],
    &["fleet", "emulator"],
    &["cli"],
    &["commands"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// A module path (`["provider", "upstash", "client"]`) for each source file.
fn modules(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut found = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path
                .strip_prefix(src)
                .expect("under src")
                .with_extension("");
            let mut parts: Vec<String> = relative
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if matches!(
                parts.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                parts.pop();
            }
            found.insert(parts, path);
        }
    }
    found
}

/// The text without `#[cfg(test)]`/`#[cfg(all(test, ...))]` items, which may reach anywhere.
fn without_tests(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(") {
        let attribute = &rest[at..];
        let is_test =
            attribute.starts_with("#[cfg(test)]") || attribute.starts_with("#[cfg(all(test");
        if !is_test {
            out.push_str(&rest[..at + 6]);
            rest = &rest[at + 6..];
            continue;
        }
        out.push_str(&rest[..at]);
        // Skip the item: to the end of its first `{ ... }` block, or its `;`.
        let item = &rest[at..];
        let brace = item.find('{');
        let semi = item.find(';');
        let end = match (brace, semi) {
            (Some(b), Some(s)) if s < b => s + 1,
            (Some(b), _) => {
                let mut depth = 0;
                let mut end = item.len();
                for (i, c) in item[b..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = b + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (None, Some(s)) => s + 1,
            (None, None) => item.len(),
        };
        rest = &item[end..];
    }
    out.push_str(rest);
    // Comments are not imports.
    out.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path a text names through `crate::` or `super::`, brace groups expanded, as the
/// segments after the root, with how many `super`s came first (`None` for `crate`).
fn paths(text: &str) -> Vec<(Option<usize>, Vec<String>)> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let starts_word = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if starts_word && rest.starts_with("crate::") {
            let (group, used) = path_tree(&rest[7..]);
            found.extend(group.into_iter().map(|p| (None, p)));
            i += 7 + used;
        } else if starts_word && rest.starts_with("super::") {
            let mut supers = 0;
            let mut at = rest;
            while let Some(next) = at.strip_prefix("super::") {
                supers += 1;
                at = next;
            }
            let consumed = rest.len() - at.len();
            let (group, used) = path_tree(at);
            found.extend(group.into_iter().map(|p| (Some(supers), p)));
            i += consumed + used;
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    found
}

/// `a::b::{c, d::e}` → [[a,b,c],[a,b,d,e]], and the bytes read.
fn path_tree(text: &str) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    let mut i = 0;
    loop {
        let ident: String = text[i..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !ident.is_empty() {
            i += ident.len();
            prefix.push(ident);
            if text[i..].starts_with("::") {
                i += 2;
                continue;
            }
            return (vec![prefix], i);
        }
        if text[i..].starts_with('{') {
            i += 1;
            let mut all = Vec::new();
            loop {
                let trimmed = text[i..].trim_start();
                i = text.len() - trimmed.len();
                if trimmed.starts_with('}') {
                    i += 1;
                    break;
                }
                let (group, used) = path_tree(&text[i..]);
                all.extend(group.into_iter().map(|p| [prefix.clone(), p].concat()));
                i += used;
                let trimmed = text[i..].trim_start();
                i = text.len() - trimmed.len();
                // `x as y`, `self`, and the separating comma.
                if let Some(after) = trimmed.strip_prefix("as ") {
                    let alias = after.trim_start();
                    let skip: usize = alias
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .map(char::len_utf8)
                        .sum();
                    i = text.len() - alias.len() + skip;
                }
                let trimmed = text[i..].trim_start();
                i = text.len() - trimmed.len();
                if trimmed.starts_with(',') {
                    i += 1;
                }
                if i >= text.len() {
                    break;
                }
            }
            return (all, i);
        }
        return (vec![prefix], i);
    }
}

/// The file a path names: its longest prefix that is a module (`self` means the prefix).
fn resolve(
    modules: &BTreeMap<Vec<String>, PathBuf>,
    from: &[String],
    supers: Option<usize>,
    path: &[String],
) -> Option<Vec<String>> {
    let mut full: Vec<String> = match supers {
        None => Vec::new(),
        Some(n) => from[..from.len().checked_sub(n)?].to_vec(),
    };
    full.extend(path.iter().filter(|s| *s != "self").cloned());
    // `#[macro_export]` macros live at the crate root; `say!` is sanitize's.
    if full.first().map(String::as_str) == Some("say") {
        return Some(vec!["sanitize".into()]);
    }
    (0..=full.len())
        .rev()
        .map(|n| full[..n].to_vec())
        .find(|candidate| modules.contains_key(candidate))
}

struct Graph {
    edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = modules(&src);
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, file) in &modules {
        let text = without_tests(&std::fs::read_to_string(file).expect("read source"));
        for (supers, path) in paths(&text) {
            if let Some(target) = resolve(&modules, module, supers, &path) {
                if &target != module && !target.is_empty() {
                    edges.entry(module.clone()).or_default().insert(target);
                }
            }
        }
    }
    Graph { edges }
}

fn name(module: &[String]) -> String {
    if module.is_empty() {
        "lib".into()
    } else {
        module.join("::")
    }
}

#[test]
fn no_module_imports_a_layer_above_its_own() {
    let graph = graph();
    let mut upward = Vec::new();
    let mut unplaced = BTreeSet::new();
    for (from, targets) in &graph.edges {
        let Some(top) = from.first() else { continue };
        let Some(from_layer) = layer_of(top) else {
            unplaced.insert(top.clone());
            continue;
        };
        for target in targets {
            let Some(to_top) = target.first() else {
                continue;
            };
            match layer_of(to_top) {
                Some(to_layer) if to_layer > from_layer => {
                    upward.push(format!("{} → {}", name(from), name(target)))
                }
                Some(_) => {}
                None => {
                    unplaced.insert(to_top.clone());
                }
            }
        }
    }
    assert!(
        unplaced.is_empty(),
        "modules missing from LAYERS: {unplaced:?}"
    );
    assert!(
        upward.is_empty(),
        "imports from a lower layer up:\n{}",
        upward.join("\n")
    );
}

#[test]
fn no_files_import_each_other_in_a_circle() {
    let graph = graph();
    // Tarjan's strongly connected components.
    struct State<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on_stack: BTreeSet<&'a Vec<String>>,
        circles: Vec<Vec<String>>,
    }
    fn visit<'a>(state: &mut State<'a>, node: &'a Vec<String>) {
        let n = state.index.len();
        state.index.insert(node, n);
        state.low.insert(node, n);
        state.stack.push(node);
        state.on_stack.insert(node);
        if let Some(targets) = state.graph.edges.get(node) {
            for target in targets {
                if !state.index.contains_key(target) {
                    visit(state, target);
                    let low = state.low[node].min(state.low[target]);
                    state.low.insert(node, low);
                } else if state.on_stack.contains(target) {
                    let low = state.low[node].min(state.index[target]);
                    state.low.insert(node, low);
                }
            }
        }
        if state.low[node] == state.index[node] {
            let mut circle = Vec::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack.remove(member);
                circle.push(name(member));
                if member == node {
                    break;
                }
            }
            if circle.len() > 1 {
                circle.sort();
                state.circles.push(circle);
            }
        }
    }
    let mut state = State {
        graph: &graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        circles: Vec::new(),
    };
    let nodes: Vec<&Vec<String>> = graph.edges.keys().collect();
    for node in nodes {
        if !state.index.contains_key(node) {
            visit(&mut state, node);
        }
    }
    assert!(
        state.circles.is_empty(),
        "files that import each other in a circle:\n{}",
        state
            .circles
            .iter()
            .map(|c| c.join(" ↔ "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_reader_understands_grouped_and_relative_imports() {
    let found = paths("use crate::a::{b, c::{d, e as f}, self};\nlet x = super::super::g::h(1);");
    let found: Vec<String> = found
        .iter()
        .map(|(s, p)| format!("{s:?}:{}", p.join("::")))
        .collect();
    assert_eq!(
        found,
        [
            "None:a::b",
            "None:a::c::d",
            "None:a::c::e",
            "None:a::self",
            "Some(2):g::h"
        ]
    );
    let text = "fn a() {}\n#[cfg(test)]\nmod tests {\n use crate::cli; { } \n}\nuse crate::x;";
    assert!(!without_tests(text).contains("cli"));
    assert!(without_tests(text).contains("crate::x"));
}
