//! CSV as RFC 4180 writes it: fields separated by commas, records by CRLF or LF, a field in double quotes when it
//! holds a comma, a quote, a line break or surrounding spaces, a quote inside written twice. The reader takes the
//! same, and reports the record number (the header is record 1) of anything malformed.

/// A record's number (the first is 1) and its fields.
pub type Record = (usize, Vec<String>);

/// Records of `text`, each a list of fields; a blank line is skipped. `Err((record, reason))` for a quote left
/// open or text after a closing quote.
pub fn read(text: &str) -> Result<Vec<Record>, (usize, String)> {
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut record = 1usize;
    let mut chars = text.chars().peekable();
    // Whether the current field was quoted, and whether we are inside its quotes.
    let (mut quoted, mut inside) = (false, false);
    let finish = |fields: &mut Vec<String>, field: &mut String, record: &mut usize, records: &mut Vec<_>| {
        fields.push(std::mem::take(field));
        let done = std::mem::take(fields);
        if !(done.len() == 1 && done[0].is_empty()) {
            records.push((*record, done));
        }
        *record += 1;
    };
    while let Some(c) = chars.next() {
        if inside {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => inside = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !quoted => (quoted, inside) = (true, true),
            '"' => return Err((record, "a quote inside a field that is not quoted".to_owned())),
            ',' => {
                fields.push(std::mem::take(&mut field));
                quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                finish(&mut fields, &mut field, &mut record, &mut records);
                quoted = false;
            }
            _ if quoted => return Err((record, "text after a closing quote".to_owned())),
            _ => field.push(c),
        }
    }
    if inside {
        return Err((record, "a quote is not closed".to_owned()));
    }
    if !field.is_empty() || !fields.is_empty() || quoted {
        finish(&mut fields, &mut field, &mut record, &mut records);
    }
    Ok(records)
}

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Free text (a note, a label) made safe to open in a spreadsheet: one that would start a formula gets a leading
/// `'`, which spreadsheets show as text. [`from_sheet_text`] takes it off again, so an export imports back as it
/// was.
pub fn sheet_text(text: &str) -> String {
    if text.starts_with(FORMULA_STARTS) || is_escaped(text) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// The inverse of [`sheet_text`].
pub fn from_sheet_text(text: String) -> String {
    if is_escaped(&text) { text[1..].to_owned() } else { text }
}

/// `'` followed by what [`sheet_text`] escapes (or by another escape).
fn is_escaped(text: &str) -> bool {
    text.strip_prefix('\'')
        .is_some_and(|rest| rest.starts_with(FORMULA_STARTS) || is_escaped(rest))
}

/// One record, each field quoted when it must be, ended by CRLF.
pub fn write_record<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let field = field.as_ref();
        let needs_quotes = field.contains([',', '"', '\r', '\n']) || field.trim() != field;
        if needs_quotes {
            out.push('"');
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(field);
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn free_text_that_would_start_a_formula_is_escaped_and_read_back_as_written() {
        for (text, written) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("'=already", "''=already"),
            ("'plain quote", "'plain quote"),
            ("cold wallet", "cold wallet"),
        ] {
            assert_eq!(sheet_text(text), written);
            assert_eq!(from_sheet_text(written.to_owned()), text);
        }
    }

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_breaks() {
        let text = "a,b,c\r\n1,\"x, \"\"y\"\"\",\"two\nlines\"\n\n3,,\n";
        let records = read(text).unwrap();
        assert_eq!(
            records,
            vec![
                (1, vec!["a".into(), "b".into(), "c".into()]),
                (2, vec!["1".into(), "x, \"y\"".into(), "two\nlines".into()]),
                (4, vec!["3".into(), "".into(), "".into()]),
            ]
        );
    }

    #[test]
    fn malformed_quoting_names_its_record() {
        assert_eq!(read("a\nb\"c\n").unwrap_err().0, 2);
        assert_eq!(read("a\n\"b\"c\n").unwrap_err().0, 2);
        assert_eq!(read("a\nb\n\"open").unwrap_err().0, 3);
    }

    proptest! {
        #[test]
        fn what_is_written_reads_back(rows in proptest::collection::vec(proptest::collection::vec(".{0,12}", 1..5), 1..6)) {
            let mut text = String::new();
            for row in &rows {
                write_record(&mut text, row);
            }
            let read_back: Vec<Vec<String>> = read(&text).unwrap().into_iter().map(|(_, r)| r).collect();
            let expected: Vec<Vec<String>> = rows.into_iter().filter(|r| !(r.len() == 1 && r[0].is_empty())).collect();
            prop_assert_eq!(read_back, expected);
        }
    }
}
