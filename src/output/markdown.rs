//! Markdown for a pull-request comment or `$GITHUB_STEP_SUMMARY`. Provider and spec bytes
//! are untrusted: [`escape`] makes them text that renders as itself, never a link, an image,
//! HTML, emphasis, a code span, a table cell break or a workflow command.
use crate::sanitize::escape_controls;
use crate::secret::mask_text_secrets;

/// The ASCII characters that are Markdown syntax somewhere in GitHub Flavored Markdown:
/// escapes and code spans, emphasis and strikethrough, links and images, HTML, autolinks and
/// entities (`<`, `>`, `&`, `:` of `https://`, `.` of `www.`, `@` of an address), table
/// cells, headings and math.
const SYNTAX: &[char] = &[
    '\\', '`', '*', '_', '~', '[', ']', '(', ')', '!', '<', '>', '&', '|', '#', ':', '.', '@', '$',
];

/// Untrusted text as Markdown that shows exactly it: each syntax character behind a
/// backslash, then every control character, bidi mark and workflow command as the visible
/// escape a table shows (`\x1b`, `\u{202e}`), so no line of it acts on a CI log either.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if SYNTAX.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    escape_controls(&out).into_owned()
}

/// A GitHub Flavored Markdown table: the header, then one row per record, every cell
/// escaped (and passwords in it masked unless `show_secrets`).
pub(super) fn table(columns: &[&str], rows: &[Vec<String>], show_secrets: bool) -> String {
    let line = |cells: &mut dyn Iterator<Item = String>| -> String {
        let mut text: String = cells
            .map(|cell| match cell.is_empty() {
                true => "| ".to_string(),
                false => format!("| {cell} "),
            })
            .collect();
        text.push_str("|\n");
        text
    };
    let mut out = line(&mut columns.iter().map(|c| escape(c)));
    out.push_str(&line(&mut columns.iter().map(|_| "---".to_string())));
    for row in rows {
        out.push_str(&line(&mut row.iter().map(|cell| {
            if show_secrets {
                escape(cell)
            } else {
                escape(&mask_text_secrets(cell))
            }
        })));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_render_as_text_never_as_markup() {
        assert_eq!(
            escape("[x](https://evil.example/a.png)"),
            "\\[x\\]\\(https\\://evil\\.example/a\\.png\\)"
        );
        assert_eq!(
            escape("![i](u) <img src=x> *b* _i_ `c` |"),
            "\\!\\[i\\]\\(u\\) \\<img src=x\\> \\*b\\* \\_i\\_ \\`c\\` \\|"
        );
        assert_eq!(
            escape("&#x202E; www.x.io a@b.io $x$ # h ~s~"),
            "\\&\\#x202E; www\\.x\\.io a\\@b\\.io \\$x\\$ \\# h \\~s\\~"
        );
        assert_eq!(escape("plain-name_1"), "plain-name\\_1");
    }

    #[test]
    fn controls_newlines_and_workflow_commands_stay_inert() {
        let text = escape("a\n::error::x\r##[group]y\u{202e}\u{1b}[2J");
        assert_eq!(
            text,
            "a\\n\\:\\:error\\:\\:x\\r\\#\\#\\[group\\]y\\u{202e}\\x1b\\[2J"
        );
        assert!(crate::sanitize::is_inert(&text));
        assert!(!text.contains('\n'));
    }

    #[test]
    fn tables_escape_every_cell_and_mask_passwords() {
        let rows = vec![vec!["a|b".to_string(), "redis://u:hunter2@h:1".to_string()]];
        assert_eq!(
            table(&["NAME", "URL"], &rows, false),
            "| NAME | URL |\n| --- | --- |\n| a\\|b | redis\\://u\\:\\*\\*\\*\\@h\\:1 |\n"
        );
    }
}
