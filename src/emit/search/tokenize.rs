//! Words for the search index and for queries: Unicode word boundaries
//! (UAX #29), accents folded (NFKD, marks dropped), lower case; runs of
//! CJK characters become overlapping pairs (bigrams), since those scripts
//! do not separate words with spaces. `themes/default/spore.js` folds
//! queries the same way; keep the two in step.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// Han, kana, Hangul syllables and their compatibility blocks.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK Compatibility Ideographs
        | 0x20000..=0x2FA1F  // Extensions B–F, compatibility supplement
    )
}

/// Lower case, accents folded: `Café` → `cafe`, `Ёлка` → `елка`.
pub fn fold(word: &str) -> String {
    // ASCII has no accents and no compatibility forms: NFKD and NFC leave
    // it as it is, so only the case changes (most words of most vaults).
    if word.is_ascii() {
        return word.to_ascii_lowercase();
    }
    fold_unicode(word)
}

fn fold_unicode(word: &str) -> String {
    let stripped: String = word.nfkd().filter(|&c| !is_combining_mark(c)).collect();
    // Greek final sigma is the same letter as σ: a word typed `λόγος`
    // must find `ΛΌΓΟΣ` (which lowers to σ here, to ς in the browser).
    stripped
        .nfc()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect()
}

/// Splits `text` after each ASCII white-space character that is followed
/// by an ASCII character (or ends the text). UAX #29 always breaks words
/// there (no rule joins across such a space, and only non-ASCII Extend,
/// Format or ZWJ characters attach to a space), so each piece segments
/// exactly as it does inside the whole text. Yields (byte offset, piece).
fn pieces(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let b = bytes[i];
            i += 1;
            if b.is_ascii_whitespace() && bytes.get(i).is_none_or(|n| n.is_ascii()) {
                let piece = (start, &text[start..i]);
                start = i;
                return Some(piece);
            }
        }
        if start < bytes.len() {
            let piece = (start, &text[start..]);
            start = bytes.len();
            return Some(piece);
        }
        None
    })
}

/// The index terms of `text`, in order, repeats kept.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cjk_run: Vec<char> = Vec::new();
    let mut run_end = 0usize;
    for (offset, piece) in pieces(text) {
        if piece.is_ascii() {
            // The common case. In ASCII text UAX #29 never breaks inside a
            // run of letters and digits, and the general path below splits
            // words at everything else: the terms are the alphanumeric runs.
            for run in piece.split(|c: char| !c.is_ascii_alphanumeric()) {
                if !run.is_empty() {
                    flush_cjk(&mut cjk_run, &mut out);
                    out.push(run.to_ascii_lowercase());
                }
            }
            continue;
        }
        tokens_unicode(piece, offset, &mut cjk_run, &mut run_end, &mut out);
    }
    flush_cjk(&mut cjk_run, &mut out);
    out
}

/// The general path: UAX #29 words of `piece` (at byte `offset` of the text).
fn tokens_unicode(
    piece: &str,
    offset: usize,
    cjk_run: &mut Vec<char>,
    run_end: &mut usize,
    out: &mut Vec<String>,
) {
    for (start, word) in piece.unicode_word_indices() {
        let start = start + offset;
        let all_cjk = word.chars().all(is_cjk);
        if all_cjk {
            // Adjacent CJK words (UAX #29 yields one per ideograph) form one run.
            if start != *run_end {
                flush_cjk(cjk_run, out);
            }
            cjk_run.extend(word.chars());
            *run_end = start + word.len();
            continue;
        }
        flush_cjk(cjk_run, out);
        // Apostrophes and inner dots stay out of terms, so `l'été` gives
        // `l` and `ete` on both sides (the browser splits the same way).
        for part in word.split(|c: char| !c.is_alphanumeric() && !is_combining_mark(c)) {
            if part.is_empty() {
                continue;
            }
            // A word mixing scripts, e.g. `Rust製`: Latin part and CJK part.
            let mut plain = String::new();
            for c in part.chars() {
                if is_cjk(c) {
                    push_folded(&mut plain, out);
                    cjk_run.push(c);
                } else {
                    flush_cjk(cjk_run, out);
                    plain.push(c);
                }
            }
            push_folded(&mut plain, out);
            flush_cjk(cjk_run, out);
        }
    }
}

fn push_folded(plain: &mut String, out: &mut Vec<String>) {
    if !plain.is_empty() {
        let f = fold(plain);
        if !f.is_empty() {
            out.push(f);
        }
        plain.clear();
    }
}

fn flush_cjk(run: &mut Vec<char>, out: &mut Vec<String>) {
    match run.len() {
        0 => {}
        1 => out.push(fold(&run[0].to_string())),
        _ => {
            for pair in run.windows(2) {
                out.push(fold(&pair.iter().collect::<String>()));
            }
        }
    }
    run.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tokenizer before the ASCII fast path: UAX #29 over the whole text.
    fn tokens_reference(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cjk_run = Vec::new();
        let mut run_end = 0usize;
        tokens_unicode(text, 0, &mut cjk_run, &mut run_end, &mut out);
        flush_cjk(&mut cjk_run, &mut out);
        out
    }

    #[test]
    fn fast_path_gives_the_same_terms_as_uax29_on_the_whole_text() {
        let samples = [
            "Hello, world! don't stop 3.14 a.b.c e-mail foo_bar x__y",
            "  leading\ttabs\r\nand CRLF\n\nnew  lines  ",
            "caf\u{e9} cafe\u{301} \u{301}mark after space \u{200d}zwj \u{ad}soft",
            "知识 管理 知识管理 Rust製品 mixed知识text 猫 and 知识",
            "l'été naïve Ærø über façade Знание — сила. Ёлка",
            "emoji \u{1f468}\u{200d}\u{1f469} flags \u{1f1eb}\u{1f1f7}\u{1f1eb}\u{1f1f7} end",
            "quotes \u{201c}smart\u{201d} and \u{2019}apostrophes\u{2019} isn\u{2019}t",
            "numbers 1,000.50 v2.0-rc1 #tag/nested [[Wiki link|label]] ==mark==",
            "",
            " ",
            "x",
            "\u{301}",
        ];
        for s in samples {
            assert_eq!(tokens(s), tokens_reference(s), "{s:?}");
        }
    }

    #[test]
    fn fast_path_matches_uax29_on_random_mixed_text() {
        let alphabet: Vec<char> = "aZ9_.,'-:; \t\n\r#é\u{301}\u{200d}\u{ad}\u{2019}—知识猫Жё\u{1f1eb}\u{1f468}\u{3000}\u{a0}"
            .chars()
            .collect();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..3000 {
            let len = (state % 24) as usize;
            let text: String = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize]
                })
                .collect();
            state = state.wrapping_add(1);
            assert_eq!(tokens(&text), tokens_reference(&text), "{text:?}");
        }
    }

    #[test]
    fn ascii_shortcut_folds_like_the_general_path() {
        let all_ascii: String = (0u8..128).map(char::from).collect();
        assert_eq!(fold(&all_ascii), fold_unicode(&all_ascii));
        assert_eq!(fold("MiXeD 123_z"), fold_unicode("MiXeD 123_z"));
    }

    #[test]
    fn latin_accents_fold() {
        assert_eq!(
            tokens("Café au LAIT, naïve!"),
            ["cafe", "au", "lait", "naive"]
        );
    }

    #[test]
    fn cyrillic_lowercases() {
        assert_eq!(tokens("Знание — сила. Ёлка"), ["знание", "сила", "елка"]);
    }

    #[test]
    fn cjk_bigrams() {
        assert_eq!(tokens("知识管理"), ["知识", "识管", "管理"]);
        assert_eq!(tokens("猫 and 知识"), ["猫", "and", "知识"]);
        assert_eq!(tokens("Rust製品"), ["rust", "製品"]);
    }

    #[test]
    fn apostrophes_split() {
        assert_eq!(tokens("l'été don't"), ["l", "ete", "don", "t"]);
    }

    #[test]
    fn greek_final_sigma_folds_to_sigma() {
        assert_eq!(fold("ΛΌΓΟΣ"), fold("λόγος"));
        assert_eq!(fold("λόγος"), "λογοσ");
    }
}
