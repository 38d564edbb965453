//! The one place that knows the YAML crate: parse a document into the scenario's serde types,
//! with errors that carry the line and column. Swap the crate here and nowhere else.

use std::collections::HashMap;

use serde::de::DeserializeOwned;

/// A YAML or type error at a position of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    /// 1-based line and column, when the parser knows them.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// The deepest nesting of collections a document may have. The parser's cost grows with the
/// square of the depth, so deeper documents are refused before parsing.
pub const MAX_DEPTH: usize = 64;

/// A document's aliases may expand to its own size plus this many bytes: a large document's
/// aliases at most double what is loaded, a small one's stay under a few MiB.
const ALIAS_FLOOR: u64 = 1024 * 1024;

/// Parses one YAML document into `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    // A byte-order mark is an encoding signature, not content.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(e) = prescan(text) {
        return Err(e);
    }
    serde_yaml::from_str(text).map_err(|e| {
        let loc = e.location();
        let mut message = strip_location(&e.to_string());
        let mut at = loc.as_ref().map(|l| (l.line(), l.column()));
        if message.contains("repetition limit exceeded") {
            message = "the document expands its aliases too many times (a 'billion laughs' document?): repetition limit exceeded".into();
        } else if message.contains("recursion limit exceeded") {
            message = format!("the document nests collections deeper than the parser's limit: {message}");
        } else if message.contains("more than one document") {
            let line = second_document(text);
            message = "a second YAML document starts here: a scenario file holds one document".into();
            at = line.map(|l| (l, 1));
        }
        YamlError {
            message,
            line: at.map(|a| a.0),
            column: at.map(|a| a.1),
        }
    })
}

/// A value written as a YAML document (for files hysim writes, such as an anonymized world).
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, String> {
    serde_yaml::to_string(value).map_err(|e| e.to_string())
}

/// serde_yaml appends " at line L column C" to its messages; the location is reported apart.
fn strip_location(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg.get(..i).unwrap_or(msg).to_string(),
        None => msg.to_string(),
    }
}

/// The line of the `---` that starts a second document, if any.
fn second_document(text: &str) -> Option<usize> {
    let mut content = false;
    for (i, line) in text.lines().enumerate() {
        let marker = line.starts_with("---")
            && line
                .get(3..)
                .is_none_or(|r| r.is_empty() || r.starts_with([' ', '\t']));
        if marker && content {
            return Some(i + 1);
        }
        let t = line.trim_start();
        content |= !marker && !t.is_empty() && !t.starts_with('#') && !t.starts_with('%');
    }
    None
}

/// An anchored node (`&name`) as the scan finds it: the bytes it may span, from the anchor to
/// the next line indented no deeper than the anchor's line (a superset of the node).
struct Anchor {
    start: usize,
    end: usize,
    /// The indentation of the anchor's line.
    indent: usize,
}

/// Checks with one pass over the text what the parser would pay too much for or misread:
/// collections nested deeper than [`MAX_DEPTH`] (the parser's cost grows with the square of
/// the depth), aliases that expand to more than the document (the parser copies each
/// expansion) and merge keys (`<<`, which the scenario format does not support). Quoted text,
/// comments and block scalars are skipped.
fn prescan(text: &str) -> Option<YamlError> {
    let at = |line: usize, column: usize, message: String| YamlError {
        message,
        line: Some(line),
        column: Some(column),
    };
    let mut flow: usize = 0;
    // The indentation of the line that opened a block scalar (`|`, `>`): deeper lines are text.
    let mut block: Option<usize> = None;
    let mut anchors: Vec<Anchor> = Vec::new();
    // The anchors whose node has not ended yet, and the latest anchor of each name.
    let mut open: Vec<usize> = Vec::new();
    let mut named: HashMap<&str, usize> = HashMap::new();
    // Where each alias is, in order, and the bytes all aliases up to it expand to.
    let mut alias_at: Vec<usize> = Vec::new();
    let mut expanded: Vec<u64> = Vec::new();
    let mut total: u64 = 0;
    let limit = ALIAS_FLOOR.saturating_add(text.len() as u64);
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let line_start = offset;
        offset += line.len();
        let line = line.trim_end_matches(['\n', '\r']);
        let spaces = line.len() - line.trim_start_matches(' ').len();
        let blank = line.trim().is_empty() || line.trim_start().starts_with('#');
        if let Some(b) = block {
            if blank || spaces > b {
                continue;
            }
            block = None;
        }
        if !blank {
            // Anchored nodes end at the first line indented no deeper than their own (the open
            // ones are indented deeper the later they opened).
            while let Some(&k) = open.last() {
                match anchors.get_mut(k) {
                    Some(a) if spaces <= a.indent => {
                        a.end = line_start;
                        open.pop();
                    }
                    _ => break,
                }
            }
        }
        let indent = line.len() - line.trim_start_matches([' ', '-']).len();
        let mut quote: Option<char> = None;
        let mut escaped = false;
        // Whether the previous character ends a token (a node may start here).
        let mut boundary = true;
        let mut content_end = line.len();
        for (j, c) in line.char_indices() {
            let token_start = boundary;
            boundary = matches!(c, ' ' | '\t' | '[' | '{' | ',');
            if let Some(q) = quote {
                if escaped {
                    escaped = false;
                } else if q == '"' && c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
                boundary = false;
                continue;
            }
            match c {
                '"' | '\'' if token_start => quote = Some(c),
                '#' if token_start => {
                    content_end = j;
                    break;
                }
                '[' | '{' => flow += 1,
                ']' | '}' => flow = flow.saturating_sub(1),
                // `&` or `*` alone (`R & D`) is text, not an anchor or an alias.
                '&' if token_start && !name_at(line, j + 1).is_empty() => {
                    let name = name_at(line, j + 1);
                    named.insert(name, anchors.len());
                    open.push(anchors.len());
                    anchors.push(Anchor {
                        start: line_start + j,
                        end: usize::MAX,
                        indent: spaces,
                    });
                }
                '*' if token_start && !name_at(line, j + 1).is_empty() => {
                    let name = name_at(line, j + 1);
                    let pos = line_start + j;
                    let Some(a) = named.get(name).and_then(|k| anchors.get(*k)) else {
                        continue;
                    };
                    // An alias inside its own anchor's node (a recursive one) counts to here.
                    let end = a.end.min(pos);
                    // The node's own bytes, and what the aliases inside it expand to.
                    let upto = |p: usize| {
                        let n = alias_at.partition_point(|x| *x < p);
                        n.checked_sub(1)
                            .and_then(|n| expanded.get(n))
                            .copied()
                            .unwrap_or(0)
                    };
                    let nested = upto(end).saturating_sub(upto(a.start));
                    let weight = (end.saturating_sub(a.start) as u64).saturating_add(nested);
                    total = total.saturating_add(weight);
                    alias_at.push(pos);
                    expanded.push(total);
                    if total > limit {
                        return Some(at(
                            i + 1,
                            j + 1,
                            format!(
                                "the aliases up to here expand to more than {limit} bytes (the document's size plus 1 MiB): write the repeated part out or use fewer aliases"
                            ),
                        ));
                    }
                }
                '<' if token_start && merge_key(line.get(j..).unwrap_or_default()) => {
                    return Some(at(
                        i + 1,
                        j + 1,
                        "merge keys (`<<`) are not supported in a scenario: write the keys out"
                            .into(),
                    ));
                }
                _ => {}
            }
            if flow + indent / 2 > MAX_DEPTH {
                return Some(YamlError {
                    message: format!(
                        "the document nests collections {} levels deep here, more than the limit of {MAX_DEPTH}",
                        flow + indent / 2
                    ),
                    line: Some(i + 1),
                    column: None,
                });
            }
        }
        if quote.is_none() && block_indicator(line.get(..content_end).unwrap_or_default()) {
            block = Some(spaces);
        }
    }
    None
}

/// The name of an anchor or alias that starts at byte `from` of `line`.
fn name_at(line: &str, from: usize) -> &str {
    let rest = line.get(from..).unwrap_or_default();
    let end = rest
        .find([' ', '\t', ',', '[', ']', '{', '}'])
        .unwrap_or(rest.len());
    rest.get(..end).unwrap_or_default()
}

/// Whether `rest` starts with a merge key: `<<` and a `:` after optional spaces.
fn merge_key(rest: &str) -> bool {
    rest.strip_prefix("<<")
        .is_some_and(|r| r.trim_start_matches(' ').starts_with(':'))
}

/// Whether a line's content (comment removed) ends with a block scalar's indicator (`|`, `>`,
/// with chomping or indentation indicators), so that the deeper lines after it are text.
fn block_indicator(content: &str) -> bool {
    let content = content.trim_end();
    let token = content.rsplit(' ').next().unwrap_or_default();
    token.starts_with(['|', '>'])
        && token.get(1..).is_some_and(|r| {
            r.chars()
                .all(|c| c == '-' || c == '+' || c.is_ascii_digit())
        })
        && (token.len() == content.trim_start_matches([' ', '-']).len()
            || content
                .trim_end_matches(token)
                .trim_end()
                .ends_with([':', '-']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        title: String,
        #[serde(default)]
        list: Vec<String>,
    }

    fn doc(text: &str) -> Result<Doc, YamlError> {
        from_str(text)
    }

    #[test]
    fn a_byte_order_mark_is_not_content() {
        let d = doc("\u{feff}title: t\n").map_err(|e| e.message);
        assert_eq!(d.map(|d| d.title), Ok("t".to_string()));
        // Positions stay those of the text after the mark.
        let e = doc("\u{feff}title: t\nbogus: 1\n").err();
        assert_eq!(e.map(|e| (e.line, e.column)), Some((Some(2), Some(1))));
    }

    #[test]
    fn block_scalars_quotes_and_comments_are_text() {
        let text = "title: |\n  *a &b [[[ <<: x\n  more\nlist: ['*x', \"<<: [\", a#b, R & D * 2] # [[[ *y\n";
        assert_eq!(prescan(text), None);
        assert!(doc(text).is_ok());
    }

    #[test]
    fn a_hash_after_text_starts_no_comment() {
        let text = format!("title: t\nlist: {}", "[x#, ".repeat(MAX_DEPTH + 1));
        let e = prescan(&text).map(|e| (e.line, e.message));
        assert!(e.is_some_and(|(l, m)| l == Some(2) && m.contains("more than the limit")));
    }

    #[test]
    fn a_few_small_aliases_load_and_an_expanding_one_is_refused() {
        let ok = doc("title: x\nlist: [&t a, *t, *t]\n").map_err(|e| e.message);
        assert_eq!(ok.map(|d| d.list.len()), Ok(3));
        let big = format!(
            "title: t\nlist: &l [{}]\nmore: [{}]\n",
            "item, ".repeat(10_000),
            "*l, ".repeat(100)
        );
        let e = prescan(&big).map(|e| (e.line, e.column, e.message));
        assert!(
            e.as_ref()
                .is_some_and(|(l, c, m)| *l == Some(3) && c.is_some() && m.contains("aliases")),
            "{e:?}"
        );
    }

    #[test]
    fn a_second_document_is_located() {
        let e = doc("# a comment\n---\ntitle: t\n---\ntitle: u\n").err();
        assert_eq!(e.map(|e| (e.line, e.column)), Some((Some(4), Some(1))));
        assert!(doc("---\ntitle: t\n...\n").is_ok());
    }

    #[test]
    fn merge_keys_are_refused_where_they_are() {
        let e = doc("title: t\nx: {<<: {a: 1}}\n").err();
        assert_eq!(e.map(|e| (e.line, e.column)), Some((Some(2), Some(5))));
    }
}
