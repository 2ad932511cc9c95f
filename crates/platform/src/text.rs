//! Rules for free text that people read: names, labels, memos. Control characters, and the format characters
//! that change how text is shown without being seen (bidirectional overrides and isolates, zero-width
//! characters), let a name or memo display as something it is not — `alice` with a hidden joiner, or a memo whose
//! letters are shown in reverse — so such text is refused rather than cleaned.

/// Whether `text` holds a character that is not shown as itself: a control character, a bidirectional mark,
/// embedding, override or isolate, or a zero-width or invisible character.
pub fn has_hidden_characters(text: &str) -> bool {
    text.chars().any(is_hidden)
}

fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'                  // soft hyphen
            | '\u{061C}'                // Arabic letter mark
            | '\u{180E}'                // Mongolian vowel separator
            | '\u{200B}'..='\u{200F}'   // zero-width space, non-joiner, joiner; LRM, RLM
            | '\u{202A}'..='\u{202E}'   // embeddings and overrides
            | '\u{2060}'..='\u{2064}'   // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}'   // isolates
            | '\u{FEFF}'                // zero-width no-break space
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_text_in_any_script_passes() {
        for text in [
            "Ada Lovelace",
            "Zoë Ørsted",
            "محمد",
            "李小龙",
            "Dinner 🍕",
            "O'Brien-Smith",
        ] {
            assert!(!has_hidden_characters(text), "{text}");
        }
    }

    #[test]
    fn controls_bidi_and_zero_width_characters_are_found() {
        for text in [
            "tab\there",
            "alice\u{200B}",
            "al\u{200D}ice",
            "pay \u{202E}gnp.exe",
            "\u{2066}isolated\u{2069}",
            "\u{FEFF}bom",
            "soft\u{00AD}hyphen",
            "mark\u{200F}",
        ] {
            assert!(has_hidden_characters(text), "{text:?}");
        }
    }
}
