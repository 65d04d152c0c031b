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
    let stripped: String = word.nfkd().filter(|&c| !is_combining_mark(c)).collect();
    stripped.nfc().flat_map(char::to_lowercase).collect()
}

/// The index terms of `text`, in order, repeats kept.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cjk_run: Vec<char> = Vec::new();
    let mut run_end = 0usize;
    for (start, word) in text.unicode_word_indices() {
        let all_cjk = word.chars().all(is_cjk);
        if all_cjk {
            // Adjacent CJK words (UAX #29 yields one per ideograph) form one run.
            if start != run_end {
                flush_cjk(&mut cjk_run, &mut out);
            }
            cjk_run.extend(word.chars());
            run_end = start + word.len();
            continue;
        }
        flush_cjk(&mut cjk_run, &mut out);
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
                    push_folded(&mut plain, &mut out);
                    cjk_run.push(c);
                } else {
                    flush_cjk(&mut cjk_run, &mut out);
                    plain.push(c);
                }
            }
            push_folded(&mut plain, &mut out);
            flush_cjk(&mut cjk_run, &mut out);
        }
    }
    flush_cjk(&mut cjk_run, &mut out);
    out
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
}
